# Static release binaries (musl, libcurl over mbedTLS, jansson, all from
# Debian source packages) and their checks; included from the top-level
# Makefile.
#   make static-x86_64   build/static/x86_64/bin/{dnsjoin,dnsmasq_log,scpdrive}
#   make static-aarch64  the same for aarch64 (cross-compiled)
#   make package         dist/TA-dnsjoin-<v>.tar.gz (x86_64) and
#                        dist/TA-dnsjoin-<v>-linux-aarch64.tar.gz, stripped
#   make check-release   every check of tests/release/run.sh on both
# The libraries are built once per Debian source version and cached under
# build/static/<arch>/prefix (tests/release/static_deps.sh).
.PHONY: static-x86_64 static-aarch64 package check-release
STATIC_CURL = -lcurl -lmbedtls -lmbedx509 -lmbedcrypto

static-x86_64 static-aarch64: static-%:
	@sh tests/release/static_deps.sh $*
	@$(MAKE) --no-print-directory BUILD=build/static/$*/obj BIN=build/static/$*/bin \
	    CC="$$(cat build/static/$*/cc)" OPT="-O2" \
	    EXTRA_CFLAGS="-isystem build/static/$*/prefix/include -DREST_TLS_MBEDTLS" \
	    EXTRA_LDFLAGS="-static -Wl,--gc-sections -Lbuild/static/$*/prefix/lib" \
	    JANSSON=-ljansson CURL="$(STATIC_CURL)" \
	    build/static/$*/bin/dnsjoin build/static/$*/bin/dnsmasq_log build/static/$*/bin/scpdrive
	@mkdir -p build/static/$*/release
	@for b in dnsjoin dnsmasq_log; do \
	    $*-linux-gnu-strip -o build/static/$*/release/$$b build/static/$*/bin/$$b || exit 1; done
	@echo "static-$*: build/static/$*/release/dnsjoin build/static/$*/release/dnsmasq_log"

# The x86_64 binaries go to linux_x86_64/bin/, which splunkd searches first
# on that platform; the commands.conf and inputs.conf specs name no aarch64
# platform folder, so the aarch64 binaries go to bin/.
package: static-x86_64 static-aarch64
	@PKG_BIN_DIR=linux_x86_64/bin PKG_LICENSES=build/static/x86_64 \
	    sh tests/app/package.sh build/static/x86_64/release dist
	@PKG_BIN_DIR=bin PKG_SUFFIX=-linux-aarch64 PKG_LICENSES=build/static/aarch64 \
	    sh tests/app/package.sh build/static/aarch64/release dist

check-release: deps package all $(UNIT_BIN) $(BUILD)/gen_story
	@GEN_STORY=$(BUILD)/gen_story sh tests/release/run.sh
