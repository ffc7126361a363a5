# make install: the jar, /usr/local/bin/palisade, the systemd unit, /etc/palisade
# (existing config files are never overwritten), the palisade user and group.
# make uninstall removes the program files and the unit, not /etc/palisade or
# /var/lib/palisade (your tables).
PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMD_DIR ?= /etc/systemd/system

.PHONY: all jar install uninstall test

all: jar

jar:
	bin/palisade --version >/dev/null

test:
	bin/test

install: jar
	install -d $(DESTDIR)$(PREFIX)/lib/palisade $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/palisade \
		$(DESTDIR)$(PREFIX)/share/doc/palisade $(DESTDIR)$(SYSTEMD_DIR)
	install -m 0644 app/target/palisade.jar $(DESTDIR)$(PREFIX)/lib/palisade/palisade.jar
	install -m 0755 packaging/palisade.sh $(DESTDIR)$(PREFIX)/bin/palisade
	install -m 0644 packaging/palisaded.service $(DESTDIR)$(SYSTEMD_DIR)/palisaded.service
	install -m 0644 docs/*.md README.md $(DESTDIR)$(PREFIX)/share/doc/palisade/
	[ -e $(DESTDIR)/etc/palisade/pf.conf ] || install -m 0640 examples/pf.conf $(DESTDIR)/etc/palisade/pf.conf
	[ -e $(DESTDIR)/etc/palisade/palisade.conf ] || install -m 0640 examples/palisade.conf $(DESTDIR)/etc/palisade/palisade.conf
	if [ -z "$(DESTDIR)" ]; then \
		getent group palisade >/dev/null || groupadd --system palisade; \
		getent passwd palisade >/dev/null || useradd --system --gid palisade --home-dir /var/lib/palisade --shell /usr/sbin/nologin palisade; \
		chgrp palisade /etc/palisade/pf.conf /etc/palisade/palisade.conf; \
		systemctl daemon-reload 2>/dev/null || true; \
		echo "installed; start with: systemctl enable --now palisaded"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/palisade/palisade.jar $(DESTDIR)$(PREFIX)/bin/palisade $(DESTDIR)$(SYSTEMD_DIR)/palisaded.service
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/palisade
	-systemctl daemon-reload 2>/dev/null
