# Splunk app packaging and checks; included from the top-level Makefile.
#   make package     dist/TA-dnsjoin-<version>.tar.gz from the built binaries
#   make check-app   package, then every package rule, the negative tests,
#                    the shipped searches through the argument parser, and
#                    Dashboard Studio validation when Node.js is present
# `all` (not $(PROGS)) is the prerequisite so this file works wherever it is
# included.
.PHONY: package check-app icons
package: all
	@sh tests/app/package.sh $(BIN) dist

check-app: all
	@sh tests/app/check.sh $(BIN)

# Redraw static/appIcon*.png (commit the result and raise [install] build).
icons:
	@python3 tests/app/make_icons.py
