# `make music`: real, freely licensed music from Debian packages (section games), fetched once
# for the real-music tests (pytest -m realmusic) and the notebooks. Included by the Makefile
# (`include music.mk`); uses $(VENV) and $(BIN) from there.
MUSIC_PACKAGES := wesnoth-1.16-music warzone2100-music nexuiz-music singularity-music \
	fretsonfire-songs-muldjord fretsonfire-songs-sectoid
# Where the music goes: b2m's default, <data home>/debian_music.
MUSIC_DIR ?= $(or $(B2M_DATA),$(HOME)/b2m_data)/debian_music
# Prefix for pytest commands: points the real-music tests at MUSIC_DIR once it holds the music
# (unless B2M_TEST_MUSIC is set already). Unset, they are skipped, or fail when CI=true.
MUSIC_TEST_ENV = B2M_TEST_MUSIC="$${B2M_TEST_MUSIC:-$$(test -f "$(MUSIC_DIR)/tracks.csv" && echo "$(MUSIC_DIR)")}"

.PHONY: music
music: $(VENV)/.installed
	@if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then \
		$(BIN)/b2m fetch-music --dest "$(MUSIC_DIR)" || { \
			echo "NOTE: fetching the Debian music failed (see above); the real-music tests"; \
			echo "      will be skipped (they fail when CI=true). Try again: make music"; \
		}; \
	else \
		echo "NOTE: no apt-get/dpkg-deb here (not Debian or Ubuntu), so no real music: the"; \
		echo "      real-music tests will be skipped (they fail when CI=true). The music comes"; \
		echo "      from the Debian packages $(MUSIC_PACKAGES)."; \
		echo "      On a Debian or Ubuntu machine run 'make music' (or 'b2m fetch-music --dest DIR'),"; \
		echo "      copy DIR here and set B2M_TEST_MUSIC=DIR; or 'apt-get download' the packages"; \
		echo "      and 'dpkg-deb -x' each."; \
	fi
