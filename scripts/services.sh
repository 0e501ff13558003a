#!/usr/bin/env bash
# Install (when missing) and start the mail services the tests drive: Debian's Postfix and Dovecot, loopback only.
#
# Idempotent: run it as often as you like (scripts/test.sh runs it before the suites; the pytest fixtures run it
# when a service is installed but not answering). Nothing here can deliver mail off this machine: Postfix listens
# on 127.0.0.1 only and every transport points at 127.0.0.1 ports where the tests' own SMTP sinks listen.
#
#   Postfix smtpd          127.0.0.1:25
#     mail to x@sink-N.test          → relayed to a test sink on 127.0.0.1:2530+N (N = 0..19)
#     mail to x@nowhere.test         → bounced by Postfix at once (5.1.1), DSN to the envelope sender
#     mail to x@mail.test            → Dovecot LMTP (127.0.0.1:10024), mailbox of user x (x+detail → x)
#     RCPT TO defer-*@...            → Postfix itself answers 450 4.2.0 (the MTA's own 4xx)
#     anything else                  → 127.0.0.1:2526 (no listener: stays queued, never leaves)
#   Dovecot IMAP           127.0.0.1:10143 (plain), 127.0.0.1:10993 (TLS, self-signed); users in a passwd-file
set -euo pipefail

MAIL_HOME=/var/lib/publisher-mail
DOVECOT_CONF=/etc/dovecot/publisher-test.conf
DOVECOT_USERS=/etc/dovecot/publisher-users
POSTFIX_MAPS=/etc/postfix/publisher
DEFAULT_SINK_PORT=2526
SINK_BASE_PORT=2530  # sink-N.test → 127.0.0.1:2530+N
SINK_SLOTS=20

say() { echo "services.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  say "not root: cannot install or start Postfix/Dovecot (tests that need them will skip or fail)" >&2
  exit 1
fi

need=()
command -v postfix >/dev/null 2>&1 || need+=(postfix)
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd dovecot-lmtpd)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || { say "missing ${need[*]} and no apt-get" >&2; exit 1; }
  say "installing ${need[*]}"
  # "No configuration": the package must not start or configure a real mail server; we configure it below.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  [ -n "${PUBLISHER_APT_UPDATED:-}" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---------------------------------------------------------------- Postfix
[ -f /etc/postfix/main.cf ] || cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
mkdir -p "$POSTFIX_MAPS"
# Postfix allows no $1 substitution in transport maps: a fixed block of sink domains, one port each. A test
# session claims one by binding its port (tests/services.py), so parallel runs on one machine do not collide.
{
  for i in $(seq 0 $((SINK_SLOTS - 1))); do
    printf '/@sink-%d\\.test$/\tsmtp:[127.0.0.1]:%d\n' "$i" $((SINK_BASE_PORT + i))
  done
  printf '/@nowhere\\.test$/\terror:5.1.1 user unknown (publisher test domain)\n'
  printf '/@mail\\.test$/\tlmtp:inet:127.0.0.1:10024\n'
  printf '/./\tsmtp:[127.0.0.1]:%d\n' "$DEFAULT_SINK_PORT"
} >"$POSTFIX_MAPS/transport"
cat >"$POSTFIX_MAPS/recipient_access" <<'EOF'
/^defer[^@]*@/	450 4.2.0 mailbox busy, try again later (publisher test address)
EOF
postconf -e \
  "compatibility_level = 3.6" \
  "myhostname = mta.publisher.test" \
  "mydomain = publisher.test" \
  "myorigin = \$myhostname" \
  "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" \
  "mydestination =" \
  "local_recipient_maps =" \
  "alias_maps =" \
  "alias_database =" \
  "mynetworks = 127.0.0.0/8" \
  "relayhost = [127.0.0.1]:$DEFAULT_SINK_PORT" \
  "default_transport = smtp:[127.0.0.1]:$DEFAULT_SINK_PORT" \
  "relay_transport = smtp:[127.0.0.1]:$DEFAULT_SINK_PORT" \
  "transport_maps = regexp:$POSTFIX_MAPS/transport" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
  "smtpd_reject_unlisted_recipient = no" \
  "smtpd_recipient_restrictions = check_recipient_access regexp:$POSTFIX_MAPS/recipient_access, permit_mynetworks, reject" \
  "smtpd_tls_security_level = none" \
  "smtp_tls_security_level = none" \
  "smtp_dns_support_level = disabled" \
  "notify_classes =" \
  "biff = no" \
  "maillog_file = /var/log/postfix-publisher.log" \
  "minimal_backoff_time = 300s" \
  "maximal_backoff_time = 600s" \
  "queue_run_delay = 300s" \
  "smtp_connection_cache_on_demand = no" \
  "message_size_limit = 20480000"
# No chroot: Debian's init script would copy resolv.conf etc. into the jail; `postfix start` does not.
postconf -F '*/*/chroot = n'
postfix check
if postfix status >/dev/null 2>&1; then
  postfix reload >/dev/null 2>&1
else
  postfix start >/dev/null 2>&1
fi
say "postfix on 127.0.0.1:25 (log /var/log/postfix-publisher.log)"

# ---------------------------------------------------------------- Dovecot
getent group vmail >/dev/null || groupadd --system vmail
getent passwd vmail >/dev/null || useradd --system --gid vmail --home-dir "$MAIL_HOME" --shell /usr/sbin/nologin vmail
mkdir -p "$MAIL_HOME/tls"
chown vmail:vmail "$MAIL_HOME"
if [ ! -s "$MAIL_HOME/tls/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$MAIL_HOME/tls/key.pem" -out "$MAIL_HOME/tls/cert.pem" >/dev/null 2>&1
  chmod 600 "$MAIL_HOME/tls/key.pem"
fi
# The fixed test user; tests add their own throwaway users to the same file (Dovecot re-reads it on change).
touch "$DOVECOT_USERS"
grep -q '^publisher-test:' "$DOVECOT_USERS" || echo 'publisher-test:{PLAIN}publisher-test' >>"$DOVECOT_USERS"
chmod 644 "$DOVECOT_USERS"
cat >"$DOVECOT_CONF" <<EOF
# publisher's test instance (scripts/services.sh): loopback only, its own base_dir, users in a passwd-file.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = /run/dovecot-publisher/
instance_name = dovecot-publisher
log_path = /var/log/dovecot-publisher.log
ssl = yes
ssl_cert = <$MAIL_HOME/tls/cert.pem
ssl_key = <$MAIL_HOME/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
mail_location = maildir:~/Maildir
first_valid_uid = 1
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Ln $DOVECOT_USERS
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$MAIL_HOME/%Ln allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 10143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 10993
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = 10024
  }
  unix_listener lmtp {
    mode = 0600
  }
}
EOF
if doveadm -c "$DOVECOT_CONF" instance list >/dev/null 2>&1 && [ -s /run/dovecot-publisher/master.pid ] \
  && kill -0 "$(cat /run/dovecot-publisher/master.pid)" 2>/dev/null; then
  doveadm -c "$DOVECOT_CONF" reload >/dev/null 2>&1 || true
else
  dovecot -c "$DOVECOT_CONF"
fi
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/10143) 2>/dev/null && break
  sleep 0.2
done
say "dovecot IMAP on 127.0.0.1:10143 (TLS :10993), LMTP :10024 (log /var/log/dovecot-publisher.log)"
