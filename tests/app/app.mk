# Splunk app packaging and checks; included from the top-level Makefile.
#   (make package, the release packages: tests/release/release.mk)
#   make check-app   package, then every package rule, the negative tests,
#                    the shipped searches through the argument parser, and
#                    Dashboard Studio validation when Node.js is present
# `all` (not $(PROGS)) is the prerequisite so this file works wherever it is
# included.
.PHONY: check-app icons
check-app: all
	@sh tests/app/check.sh $(BIN)

# Redraw static/appIcon*.png (commit the result and raise [install] build).
icons:
	@python3 tests/app/make_icons.py
