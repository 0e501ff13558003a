"""The SMTP transport: smtplib behind the Transport protocol, its exceptions translated into the delivery error tree."""

from __future__ import annotations

import re
import select
import smtplib
import socket
import ssl
from collections.abc import Callable

from publisher.config import Config
from publisher.delivery.transports import ServerUnresponsive, TransportUnavailable, register_transport
from publisher.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from publisher.mailmsg import OutgoingMessage


@register_transport("smtp")
class SmtpTransport:
    """One SMTP connection reused for many messages, reopened when the server drops it. Pacing (rate_limit)
    is the run's job: it waits before claiming a row, never between claiming and sending."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None

    # -- connection

    def _connect(self) -> smtplib.SMTP:
        s = self.cfg.smtp
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    local_hostname=s.local_hostname or None,
                    timeout=s.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname or None, timeout=s.timeout)
            try:
                if conn.sock is not None:
                    # The body and the terminating dot are two writes (see _data): without this, Nagle holds the
                    # dot back until the server's delayed ACK of the body, 40 ms per message.
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.ehlo()
                if s.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
                if s.username:
                    conn.login(s.username, self.cfg.smtp_password)
            except BaseException:
                conn.close()
                raise
        except UnicodeEncodeError as exc:
            # smtplib sends AUTH credentials as ASCII only: a non-ASCII user name or password can never log in.
            raise TransportUnavailable(
                f"SMTP {where}: login impossible: smtp.username and the password must be "
                f"ASCII ({exc.reason} at position {exc.start})"
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportUnavailable(f"SMTP {where}: login refused ({exc.smtp_code})", code=exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportUnavailable(
                f"SMTP {where}: {exc.smtp_code} {_text(exc.smtp_error)}", code=exc.smtp_code
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportUnavailable(f"SMTP {where}: cannot connect: {exc}") from exc
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self.conn.close()
                self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # -- sending

    def send(self, message: OutgoingMessage) -> None:
        self.send_claimed(message, _yes, _nothing)

    def send_claimed(
        self, message: OutgoingMessage, claimed: Callable[[], bool], meanwhile: Callable[[], None]
    ) -> bool:
        """As `send`, around the sender's own work (see OverlappingTransport): `claimed()` runs while the
        server reads the envelope, `meanwhile()` while it takes the data. False when the row could not be
        claimed: nothing of the message was sent. With a server that offers PIPELINING (RFC 2920), MAIL,
        RCPT and DATA go out in one write and the data follows the 354: two round trips per message instead
        of four."""
        claim: list[bool] = []

        def claim_once() -> bool:
            if not claim:
                claim.append(claimed())
            return claim[0]

        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                piped = self.conn.has_extn("pipelining")
                if piped:
                    self._pipelined_envelope(self.conn, message, claim_once)
                else:
                    self._envelope(self.conn, message)
                break
            except smtplib.SMTPServerDisconnected:
                # Dropped while idle (server timeout) before anything of this message was accepted: reconnect once.
                self._drop()
                if attempt == 2:
                    raise TransientDeliveryError("SMTP: connection lost before the message was accepted") from None
        assert self.conn is not None  # the loop above either connected or raised
        if not claim_once():
            if piped:
                # The server waits for data after its 354, and only the terminating dot would make it a
                # message: hanging up is the one way out that delivers nothing.
                self._drop()
            else:
                self._reset(self.conn)
            return False
        if not piped:
            self._data_command(self.conn)
        self._message_data(self.conn, message, meanwhile)
        return True

    def _envelope(self, conn: smtplib.SMTP, message: OutgoingMessage) -> None:
        """MAIL FROM + RCPT TO; nothing is delivered yet, so every failure here is safe to retry."""
        try:
            try:
                code, resp = conn.mail(message.sender)
            except UnicodeEncodeError as exc:
                raise TransportUnavailable(f"SMTP MAIL FROM <{message.sender}>: sender address is not ASCII") from exc
            if code != 250:
                self._reset(conn)
                raise _mail_refused(code, resp)
            try:
                code, resp = conn.rcpt(message.recipient)
            except UnicodeEncodeError as exc:
                # smtplib speaks ASCII only (no SMTPUTF8): this recipient can never be reached this way.
                self._reset(conn)
                raise PermanentDeliveryError(f"SMTP RCPT TO <{message.recipient}>: address is not ASCII") from exc
            if code not in (250, 251):
                self._reset(conn)
                raise _refused(f"RCPT TO <{message.recipient}>", code, resp)
        except smtplib.SMTPServerDisconnected:
            raise
        except OSError as exc:
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection failed before the message was accepted: {exc}") from exc

    def _pipelined_envelope(self, conn: smtplib.SMTP, message: OutgoingMessage, claim: Callable[[], bool]) -> None:
        """MAIL FROM, RCPT TO and DATA in one write, then their replies in order, each judged as `_envelope`
        and `_data_command` judge it. Nothing is delivered before the data's terminating dot, so every failure
        here is safe to retry; a reply missing because the server hung up is its idle timeout (reconnect)."""
        try:
            mail = f"MAIL FROM:{quote_address(message.sender)}\r\n".encode("ascii")
        except UnicodeEncodeError as exc:
            raise TransportUnavailable(f"SMTP MAIL FROM <{message.sender}>: sender address is not ASCII") from exc
        try:
            rcpt = f"RCPT TO:{quote_address(message.recipient)}\r\n".encode("ascii")
        except UnicodeEncodeError as exc:
            raise PermanentDeliveryError(f"SMTP RCPT TO <{message.recipient}>: address is not ASCII") from exc
        replies: list[tuple[int, bytes]] = []
        try:
            conn.send(mail + rcpt + b"DATA\r\n")
            claim()  # the store's commit while the server reads the envelope
            for _ in range(3):
                replies.append(conn.getreply())
        except smtplib.SMTPServerDisconnected:
            self._drop()
            if not replies or all(code in (250, 251) for code, _ in replies):
                raise
        except OSError as exc:
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection failed before the message was accepted: {exc}") from exc
        (mail_code, mail_resp), *rest = replies
        if mail_code == 250 and rest and rest[0][0] in (250, 251) and len(rest) == 2 and rest[1][0] == 354:
            return
        if len(replies) == 3 and replies[2][0] == 354:
            # A server that answers 354 after refusing the sender or the recipient waits for data: hang up.
            self._drop()
        elif self.conn is not None:
            self._reset(conn)
        if mail_code != 250:
            raise _mail_refused(mail_code, mail_resp)
        code, resp = rest[0]
        if code not in (250, 251):
            raise _refused(f"RCPT TO <{message.recipient}>", code, resp)
        raise _refused("DATA", *rest[1])

    def _data_command(self, conn: smtplib.SMTP) -> None:
        try:
            code, resp = conn.docmd("data")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection lost before DATA: {exc}") from exc
        if code != 354:
            self._reset(conn)
            raise _refused("DATA", code, resp)

    def _message_data(self, conn: smtplib.SMTP, message: OutgoingMessage, meanwhile: Callable[[], None]) -> None:
        """After the 354, in three steps, so that we know whether the server may have the message when things
        go wrong: the body, a check that the server is still there, then the terminating dot (the hand-over)."""
        payload = message.data
        if payload.startswith(b".") or b"\n." in payload:  # rare in QP bodies: the regex costs 50 µs on 5 kB
            payload = _DOT_AT_LINE_START.sub(b"..", payload)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        sock = conn.sock
        try:
            if sock is None:
                raise smtplib.SMTPServerDisconnected("not connected")
            sock.sendall(payload)
            # A body that fits in the socket buffers is "sent" even when the server has already hung up; only
            # the dot makes the server take the message, so look before sending it.
            _check_still_there(sock)
            sock.sendall(b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The terminating dot never went out: the server discards a half-received message.
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection lost before the end of DATA: {exc}") from exc
        # Handed over. From here on only a clear 2xx/4xx/5xx reply decides; anything else is `unknown`.
        meanwhile()  # the sender's next work while the server takes the message (it never raises)
        try:
            code, resp = conn.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            if isinstance(exc.__context__, TimeoutError):
                raise ServerUnresponsive(
                    f"SMTP: message sent, no reply within smtp.timeout ({self.cfg.smtp.timeout:g} s)"
                ) from exc
            raise UnknownDeliveryError(f"SMTP: message sent but no reply received: {exc}") from exc
        except smtplib.SMTPResponseException as exc:  # smtplib's own "500 line too long": not the server's verdict
            self._drop()
            raise ServerUnresponsive(f"SMTP: message sent, unreadable reply: {_text(exc.smtp_error)}") from exc
        except OSError as exc:
            self._drop()
            raise UnknownDeliveryError(f"SMTP: message sent but no reply received: {exc}") from exc
        if 200 <= code < 300:
            return
        if 400 <= code < 600:
            raise _refused("end of DATA", code, resp)
        # smtplib reports a reply it cannot parse as -1: the server may well have taken the message.
        self._drop()
        raise ServerUnresponsive(f"SMTP: message sent, unparseable reply ({code} {_text(resp)[:200]!r})")

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")  # SMTP dot-stuffing (RFC 5321 4.5.2)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def quote_address(address: str) -> str:
    """`<address>` for the envelope, as smtplib.quoteaddr gives it. A plain dot-atom address (every subscriber
    and VERP address) is wrapped directly: quoteaddr parses each one with the email package, ≈ 40 µs a time."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _yes() -> bool:
    return True


def _nothing() -> None:
    pass


def _check_still_there(sock: socket.socket) -> None:
    """Raise SMTPServerDisconnected when the server has hung up (or spoken: it never does during DATA) before
    the terminating dot. A look without waiting: waiting for the peer to acknowledge the body would cost a
    delayed ACK (40 ms) per message, and a server that drops the connection later than this look makes the
    message `unknown`, never sent twice."""
    readable, _, _ = select.select([sock], [], [], 0)
    if readable or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
        raise smtplib.SMTPServerDisconnected("the server closed the connection during DATA")


def _text(resp: bytes | str) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)


def _mail_refused(code: int, resp: bytes | str) -> TransportUnavailable:
    # A refused sender (530 auth required, 550 5.7.1 sender not allowed, 421/451 slow down) says nothing
    # about the recipient: stop the run and retry later, never bounce the subscriber.
    return TransportUnavailable(f"SMTP MAIL FROM: {code} {_text(resp)}", code=code)


def _refused(stage: str, code: int, resp: bytes | str) -> DeliveryError:
    msg = f"SMTP {stage}: {code} {_text(resp)}"
    if 400 <= code < 500 or code == -1:  # before the hand-over a garbled reply is safe to retry
        return TransientDeliveryError(msg, code=code)
    return PermanentDeliveryError(msg, code=code)
