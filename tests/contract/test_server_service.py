"""ServerService on both dialects: servers, host-key decisions, keys at rest.

Most tests script host keys (FakeHostKeyScanner) and commands (FakeTransport);
the last ones go through the real scanner and SSH transport to the test sshd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import update

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.errors import (
    AuthFailed,
    CommandTimeout,
    Conflict,
    HostKeyMismatch,
    HostKeyUnknown,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransportError,
)
from ssop.core.fleet.server_input import (
    HostKeyDecision,
    KeySource,
    ServerChanges,
    ServerCreate,
)
from ssop.core.models import Server
from ssop.core.secrets.master_key import create_master_key
from ssop.core.services import Services, build_services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import CommandResult, HostKey
from ssop.core.transport.connection_spec import ConnectionSpec
from ssop.core.transport.ssh import scan_host_key
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.fakes.host_keys import FakeHostKeyScanner
from tests.support.audit import reasons, refusals
from tests.support.auth import add_user, admin, login, snapshot
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd  # key files come from the sshd fixture

ADDRESS = ("127.0.0.9", 2201)
SERVER_TABLES = ("servers", "server_tags", "server_actions")
RELEASE = 'NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'


@dataclass
class Rig:
    services: Services
    scanner: FakeHostKeyScanner
    clock: FakeClock
    root: Principal
    sshd: Sshd
    transports: dict[str, list[FakeTransport]] = field(default_factory=dict)

    def build(self, server: ConnectionSpec) -> FakeTransport:
        def timed(stdout: str, ms: float) -> Callable[[object], CommandResult]:
            def run(_cmd: object) -> CommandResult:
                self.clock.advance(ms / 1000)
                return CommandResult(stdout, "", 0, ms / 1000)

            return run

        transport = FakeTransport(
            {
                ("uname", "-srm"): timed("Linux 6.1.0 x86_64\n", 12),
                ("cat", "/etc/os-release"): timed(RELEASE, 3),
            },
            name=server.name,
        )
        self.transports.setdefault(server.name, []).append(transport)
        return transport

    def key(self, name: str = "ed25519", passphrase: str | None = None) -> KeySource:
        return KeySource(self.sshd.keys[name].path, passphrase)

    def add(self, name: str = "web1", **kw: object) -> None:
        spec = ServerCreate(name, *ADDRESS, **{"key": self.key(), **kw})  # type: ignore[arg-type]
        self.services.servers.add(self.root, spec, self.accept())

    def accept(self) -> HostKeyDecision:
        return HostKeyDecision(self.sshd.host_key.fingerprint)

    def row(self, name: str = "web1") -> Server:
        with self.services.sessions() as s:
            return ServerRepo(s).get(name)

    def state(self) -> dict[str, object]:
        return snapshot(self.services.engine, SERVER_TABLES)


def make_config(store_url: str, env: dict[str, str], **extra: str) -> LoadedConfig:
    environ = {**env, "SSOP_DATABASE_URL": store_url, **extra}
    return load_config(environ=environ, system_config=Path("/nonexistent"))


@pytest.fixture
def config(store_url: str, isolated_env: dict[str, str]) -> LoadedConfig:
    loaded = make_config(store_url, isolated_env, SSOP_SSH__CONNECT_TIMEOUT="2")
    create_master_key(loaded.paths.secret_key_file)
    return loaded


@pytest.fixture
def rig(config: LoadedConfig, clock: FakeClock, sshd: Sshd) -> Iterator[Rig]:
    scanner = FakeHostKeyScanner({ADDRESS: sshd.host_key})
    holder: list[Rig] = []
    services = build_services(
        config,
        clock=clock,
        transport_factory=lambda server: holder[0].build(server),
        host_key_scanner=scanner,
    )
    services.store.seed()
    holder.append(Rig(services, scanner, clock, admin(services), sshd))
    yield holder[0]
    services.close()


def viewer(rig: Rig) -> Principal:
    add_user(rig.services, "vera", Role.VIEWER, "vera-pw")
    return login(rig.services, "vera", "vera-pw")


# --- add -------------------------------------------------------------------


def test_add_stores_the_key_encrypted_and_pins_the_accepted_host_key(rig: Rig) -> None:
    view = rig.services.servers.add(
        rig.root,
        ServerCreate("web1", *ADDRESS, "deploy", key=rig.key(), tags=("b", "a", "a")),
        rig.accept(),
    )

    assert (view.name, view.host, view.port, view.username, view.auth) == (
        "web1",
        "127.0.0.9",
        2201,
        "deploy",
        "key",
    )
    assert view.tags == ("a", "b")
    assert view.key_fingerprint == rig.sshd.keys["ed25519"].fingerprint
    assert view.host_key_fingerprint == rig.sshd.host_key.fingerprint
    row = rig.row()
    pem = rig.sshd.keys["ed25519"].pem
    assert row.key_ciphertext and pem not in row.key_ciphertext
    assert rig.services.secret_box().decrypt(row.key_ciphertext) == pem
    assert row.passphrase_ciphertext is None
    assert (row.host_key_type, row.host_key) == (
        "ssh-ed25519",
        rig.sshd.host_key.base64,
    )
    assert rig.scanner.calls == [(*ADDRESS, 2.0)]
    audit = rig.services.audit_log.list(rig.root, event="server.add")
    assert [(e.actor, e.target) for e in audit] == [("root", "web1")]


def test_an_encrypted_key_keeps_its_passphrase_encrypted(rig: Rig) -> None:
    rig.add(key=rig.key("ed25519_encrypted", "correct horse"))

    row = rig.row()
    assert (
        row.passphrase_ciphertext and "correct horse" not in row.passphrase_ciphertext
    )
    assert rig.services.secret_box().decrypt(row.passphrase_ciphertext) == (
        "correct horse"
    )
    assert row.key_fingerprint == rig.sshd.keys["ed25519_encrypted"].fingerprint


def test_a_passphrase_a_plain_key_does_not_need_is_not_stored(rig: Rig) -> None:
    rig.add(key=rig.key("rsa", "needless"))

    assert rig.row().passphrase_ciphertext is None
    assert rig.row().key_fingerprint == rig.sshd.keys["rsa"].fingerprint


def test_agent_and_local_servers_store_no_key(rig: Rig) -> None:
    rig.services.servers.add(
        rig.root, ServerCreate("a1", *ADDRESS, use_agent=True), rig.accept()
    )
    here = rig.services.servers.add(
        rig.root, ServerCreate("me", local=True), HostKeyDecision()
    )

    assert (here.auth, here.host, here.host_key_fingerprint) == (
        "local",
        "localhost",
        None,
    )
    assert rig.row("a1").key_ciphertext is None and rig.row("a1").use_agent
    assert rig.row("me").key_ciphertext is None
    assert len(rig.scanner.calls) == 1  # a local server is never scanned


@pytest.mark.parametrize(
    ("key", "passphrase", "message"),
    [
        ("ed25519_encrypted", None, "is encrypted and no passphrase was given"),
        ("ed25519_encrypted", "wrong horse", "passphrase does not decrypt"),
    ],
)
def test_an_encrypted_key_needs_its_passphrase(
    rig: Rig, key: str, passphrase: str | None, message: str
) -> None:
    before = rig.state()
    with pytest.raises(InvalidInput, match=message) as err:
        rig.add(key=rig.key(key, passphrase))
    assert str(rig.sshd.keys[key].path) in err.value.message
    if passphrase is None:
        assert err.value.hint == "give the passphrase on stdin: --passphrase-stdin"
    assert rig.state() == before
    assert rig.scanner.calls == []


def bad_key_file(tmp_path: Path, case: str, sshd: Sshd) -> Path:
    path = tmp_path / f"key-{case}"
    if case == "missing":
        return path
    if case == "directory":
        path.mkdir()
    elif case == "public key":
        path.write_text(sshd.keys["ed25519"].path.with_suffix(".pub").read_text())
    elif case == "garbage":
        path.write_bytes(b"\xff\xfe not a key")
    elif case == "broken key":
        path.write_text(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----\n"
        )
    elif case == "huge":
        path.write_bytes(b"x" * 70_000)
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "does not exist"),
        ("directory", "cannot be read: Is a directory"),
        ("public key", "does not hold a private key"),
        ("garbage", "does not hold a private key"),
        ("broken key", "is not valid OpenSSH or PEM text"),
        ("huge", "too large"),
    ],
)
def test_a_bad_key_file_is_refused(
    rig: Rig, tmp_path: Path, case: str, message: str
) -> None:
    path = bad_key_file(tmp_path, case, rig.sshd)
    before = rig.state()
    with pytest.raises(InvalidInput, match=message) as err:
        rig.add(key=KeySource(path))
    assert err.value.message.startswith(f"key file {path}")
    assert rig.state() == before


def test_a_taken_name_is_refused_before_reading_anything(rig: Rig) -> None:
    rig.add()
    before = rig.state()
    with pytest.raises(Conflict, match="a server named 'web1' already exists"):
        rig.add(key=KeySource(Path("/nonexistent")))
    assert rig.state() == before
    assert len(rig.scanner.calls) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda k: ServerCreate("bad name", *ADDRESS, key=k), "invalid server name"),
        (lambda k: ServerCreate("-x", *ADDRESS, key=k), "invalid server name"),
        (lambda k: ServerCreate("x", "-oProxyCommand=x", key=k), "invalid host"),
        (lambda k: ServerCreate("x", "a..b", key=k), "invalid host"),
        (lambda k: ServerCreate("x", "h", port=0, key=k), "invalid port 0"),
        (lambda k: ServerCreate("x", "h", port=65536, key=k), "invalid port 65536"),
        (
            lambda k: ServerCreate("x", "h", port=22, username="root;id", key=k),
            "invalid user",
        ),
        (lambda k: ServerCreate("x", "h", tags=("no tag",), key=k), "invalid tag"),
        (lambda k: ServerCreate("x", key=k), "needs --host"),
        (lambda k: ServerCreate("x", "h"), "needs --key-file PATH or --agent"),
        (lambda k: ServerCreate("x", local=True, key=k), "takes no --host"),
        (lambda k: ServerCreate("x", local=True, use_agent=True), "takes no"),
        (lambda k: ServerCreate("x", "h", local=True), "takes no --host"),
        (lambda k: ServerCreate("x", "h", description="d" * 256, key=k), "255"),
    ],
)
def test_invalid_input_is_refused_when_built(
    rig: Rig, make: Callable[[KeySource], ServerCreate], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        make(rig.key())


def test_ipv6_and_hostnames_are_valid_hosts() -> None:
    for host in ("::1", "fe80::1", "10.1.2.3", "db-1.example.org", "web"):
        assert ServerCreate("x", host, use_agent=True).host == host


def test_a_viewer_cannot_add(rig: Rig) -> None:
    vera = viewer(rig)
    with pytest.raises(PermissionDenied, match="lacks servers.write"):
        rig.services.servers.add(
            vera, ServerCreate("x", *ADDRESS, key=rig.key()), rig.accept()
        )
    assert rig.state()["servers"] == [] and rig.scanner.calls == []


# --- host key decisions ----------------------------------------------------


def test_a_different_expected_fingerprint_refuses_naming_both(rig: Rig) -> None:
    other = rig.sshd.other_host_key.fingerprint
    with pytest.raises(HostKeyMismatch) as err:
        rig.services.servers.add(
            rig.root,
            ServerCreate("web1", *ADDRESS, key=rig.key()),
            HostKeyDecision(other),
        )
    assert err.value.message == (
        f"server web1: 127.0.0.9:2201 presents host key "
        f"{rig.sshd.host_key.fingerprint}, not the expected {other}; nothing was pinned"
    )
    assert rig.state()["servers"] == []


@pytest.mark.parametrize("answer", [None, False])
def test_without_an_accepted_key_nothing_is_stored(
    rig: Rig, answer: bool | None
) -> None:
    asked: list[HostKey] = []

    def confirm(key: HostKey) -> bool:
        asked.append(key)
        return bool(answer)

    decision = HostKeyDecision(confirm=None if answer is None else confirm)
    with pytest.raises(HostKeyUnknown, match="was not accepted; nothing was stored"):
        rig.services.servers.add(
            rig.root, ServerCreate("web1", *ADDRESS, key=rig.key()), decision
        )
    assert rig.state()["servers"] == []
    assert asked == ([] if answer is None else [rig.sshd.host_key])


def test_a_confirmed_key_is_pinned(rig: Rig) -> None:
    asked: list[HostKey] = []

    def yes(key: HostKey) -> bool:
        asked.append(key)
        return True

    decision = HostKeyDecision(confirm=yes)
    rig.services.servers.add(
        rig.root, ServerCreate("web1", *ADDRESS, key=rig.key()), decision
    )
    assert asked == [rig.sshd.host_key]
    assert rig.row().host_key_fingerprint == rig.sshd.host_key.fingerprint


def test_trust_on_first_use_pins_what_is_presented(rig: Rig) -> None:
    rig.services.servers.add(
        rig.root,
        ServerCreate("web1", *ADDRESS, key=rig.key()),
        HostKeyDecision(trust_on_first_use=True),
    )
    assert rig.row().host_key == rig.sshd.host_key.base64


def test_a_decision_rejects_bad_fingerprints_and_double_flags() -> None:
    with pytest.raises(InvalidInput, match="invalid host key fingerprint"):
        HostKeyDecision("MD5:aa:bb")
    good = "SHA256:" + "A" * 43
    with pytest.raises(InvalidInput, match="not both"):
        HostKeyDecision(good, trust_on_first_use=True)


def test_an_unreachable_host_is_named_by_server(rig: Rig) -> None:
    with pytest.raises(TransportError) as err:
        rig.services.servers.add(
            rig.root, ServerCreate("web2", "127.0.0.10", key=rig.key()), rig.accept()
        )
    assert err.value.message == ("server web2: connection refused by 127.0.0.10:22")
    assert rig.state()["servers"] == []


def test_the_fake_scanner_answers_like_the_real_one(
    sshd: Sshd, dead_host: tuple[str, int]
) -> None:
    fake = FakeHostKeyScanner({(sshd.host, sshd.port): sshd.host_key})
    assert fake(sshd.host, sshd.port, 2) == scan_host_key(sshd.host, sshd.port, 2)
    errors = []
    for scan in (fake, scan_host_key):
        with pytest.raises(TransportError) as err:
            scan(*dead_host, 2)
        errors.append((type(err.value), err.value.message))
    assert errors[0] == errors[1]


# --- list, show ------------------------------------------------------------


def test_list_filters_by_tag_and_a_viewer_may_read(rig: Rig) -> None:
    rig.add("web1", tags=("web", "prod"))
    rig.add("db1", tags=("db", "prod"))
    rig.add("web2", tags=("web",))
    vera = viewer(rig)

    assert [v.name for v in rig.services.servers.list(vera)] == ["db1", "web1", "web2"]
    assert [v.name for v in rig.services.servers.list(vera, "web")] == ["web1", "web2"]
    assert [v.tags for v in rig.services.servers.list(vera, "prod")] == [
        ("db", "prod"),
        ("prod", "web"),
    ]
    assert rig.services.servers.list(vera, "none") == []


def test_show_lists_assigned_actions_with_their_automatic_flag(rig: Rig) -> None:
    rig.add()
    with rig.services.sessions() as s, s.begin():
        server = ServerRepo(s).get("web1")
        actions = ActionRepo(s)
        AssignmentRepo(s).assign(server, actions.get("restart_service"), True)
        AssignmentRepo(s).assign(server, actions.get("get_uptime"), False)

    detail = rig.services.servers.show(viewer(rig), "web1")

    assert detail.server.name == "web1"
    shown = {a.name: (a.automatic, a.risk) for a in detail.actions}
    assert shown["get_uptime"] == (False, "low")
    assert shown["restart_service"] == (True, "medium")
    # the built-in get actions come with every new server, never automatic
    assert {n for n, (auto, _) in shown.items() if auto} == {"restart_service"}
    assert "PRIVATE" not in repr(detail)


def test_show_and_list_never_return_key_material(rig: Rig) -> None:
    rig.add(key=rig.key("ed25519_encrypted", "correct horse"))
    shown = repr(rig.services.servers.show(rig.root, "web1"))
    listed = repr(rig.services.servers.list(rig.root))
    row = rig.row()
    for text in (shown, listed):
        assert "correct horse" not in text and "PRIVATE KEY" not in text
        assert (row.key_ciphertext or "x") not in text
        assert rig.sshd.keys["ed25519_encrypted"].fingerprint in text
    assert "correct horse" not in repr(rig.key("ed25519", "correct horse"))


def test_show_an_unknown_server(rig: Rig) -> None:
    with pytest.raises(NotFound, match="no server named 'nope'"):
        rig.services.servers.show(rig.root, "nope")


# --- edit ------------------------------------------------------------------


def test_edit_changes_only_what_is_given_and_keeps_the_key(rig: Rig) -> None:
    rig.add(tags=("web",))
    before = rig.row()
    rig.services.servers.test(rig.root, "web1")

    view = rig.services.servers.edit(
        rig.root, "web1", ServerChanges(description="front end")
    )

    after = rig.row()
    assert view.description == "front end" and view.tags == ("web",)
    assert after.key_ciphertext == before.key_ciphertext
    assert after.host_key == before.host_key
    assert (after.host, after.port, after.username) == (
        before.host,
        before.port,
        before.username,
    )
    assert rig.transports["web1"][-1].closed == 1  # the pool let it go
    assert rig.services.servers.test(rig.root, "web1").os.startswith("Debian")
    audit = rig.services.audit_log.list(rig.root, event="server.edit")
    assert [e.detail for e in audit] == ["changed: description"]


def test_edit_tags_replace_or_clear(rig: Rig) -> None:
    rig.add(tags=("a",))
    edit = rig.services.servers.edit
    assert edit(rig.root, "web1", ServerChanges(tags=("b", "c"))).tags == ("b", "c")
    assert edit(rig.root, "web1", ServerChanges(tags=())).tags == ()


def test_edit_a_new_key_replaces_key_and_fingerprint(rig: Rig) -> None:
    rig.add()
    before = rig.row()
    view = rig.services.servers.edit(
        rig.root, "web1", ServerChanges(key=rig.key("ecdsa"))
    )
    after = rig.row()
    assert after.key_ciphertext != before.key_ciphertext
    assert view.key_fingerprint == rig.sshd.keys["ecdsa"].fingerprint
    assert rig.services.secret_box().decrypt(after.key_ciphertext or "") == (
        rig.sshd.keys["ecdsa"].pem
    )


def test_moving_a_server_unpins_its_host_key(rig: Rig) -> None:
    rig.add()
    view = rig.services.servers.edit(rig.root, "web1", ServerChanges(port=2202))
    assert (view.port, view.host_key_fingerprint) == (2202, None)
    assert rig.row().host_key is None
    with pytest.raises(HostKeyUnknown, match="no host key is pinned yet"):
        rig.services.servers.test(rig.root, "web1")


def test_disable_and_enable(rig: Rig) -> None:
    rig.add()
    assert not rig.services.servers.edit(
        rig.root, "web1", ServerChanges(enabled=False)
    ).enabled
    assert rig.services.servers.edit(
        rig.root, "web1", ServerChanges(enabled=True)
    ).enabled


@pytest.mark.parametrize(
    ("name", "changes", "error", "message"),
    [
        ("nope", ServerChanges(description="x"), NotFound, "no server named 'nope'"),
        ("web1", ServerChanges(), InvalidInput, "nothing to change"),
        ("web1", ServerChanges(use_agent=False), None, None),
        ("me", ServerChanges(host="h"), InvalidInput, "is local"),
        ("me", ServerChanges(use_agent=True), InvalidInput, "is local"),
        ("a1", ServerChanges(use_agent=False), InvalidInput, "no way to log in"),
    ],
)
def test_edit_refusals_change_nothing(
    rig: Rig,
    name: str,
    changes: ServerChanges,
    error: type[Exception] | None,
    message: str | None,
) -> None:
    rig.add()
    rig.services.servers.add(
        rig.root, ServerCreate("a1", *ADDRESS, use_agent=True), rig.accept()
    )
    rig.services.servers.add(
        rig.root, ServerCreate("me", local=True), HostKeyDecision()
    )
    before = rig.state()
    if error is None:  # a key is stored: the agent is not needed
        rig.services.servers.edit(rig.root, name, changes)
        return
    with pytest.raises(error, match=message):
        rig.services.servers.edit(rig.root, name, changes)
    assert rig.state() == before


def test_edit_with_a_bad_new_key_keeps_the_old_one(rig: Rig, tmp_path: Path) -> None:
    rig.add()
    before = rig.state()
    with pytest.raises(InvalidInput, match="does not exist"):
        rig.services.servers.edit(
            rig.root, "web1", ServerChanges(key=KeySource(tmp_path / "none"))
        )
    assert rig.state() == before


# --- remove ----------------------------------------------------------------


def test_remove_takes_tags_and_assignments_along(rig: Rig) -> None:
    rig.add(tags=("web",))
    with rig.services.sessions() as s, s.begin():
        server = ServerRepo(s).get("web1")
        AssignmentRepo(s).assign(server, ActionRepo(s).get("get_uptime"), True)

    rig.services.servers.remove(rig.root, "web1")

    assert rig.state() == {"servers": [], "server_tags": [], "server_actions": []}
    assert [
        e.target for e in rig.services.audit_log.list(rig.root, event="server.rm")
    ] == ["web1"]
    with pytest.raises(NotFound):
        rig.services.servers.remove(rig.root, "web1")


def test_a_viewer_cannot_remove(rig: Rig) -> None:
    rig.add()
    before = rig.state()
    with pytest.raises(PermissionDenied):
        rig.services.servers.remove(viewer(rig), "web1")
    assert rig.state() == before


# --- trust -----------------------------------------------------------------


def pin(rig: Rig, key: HostKey, name: str = "web1") -> None:
    with rig.services.engine.begin() as conn:
        conn.execute(
            update(Server)
            .where(Server.name == name)  # type: ignore[arg-type]
            .values(
                host_key_type=key.key_type,
                host_key=key.base64,
                host_key_fingerprint=key.fingerprint,
            )
        )


def test_trust_repins_the_presented_key_when_it_matches(rig: Rig) -> None:
    rig.add()
    pin(rig, rig.sshd.other_host_key)

    key = rig.services.servers.trust(rig.root, "web1", rig.sshd.host_key.fingerprint)

    assert key == rig.sshd.host_key
    assert rig.row().host_key_fingerprint == rig.sshd.host_key.fingerprint
    audit = rig.services.audit_log.list(rig.root, event="server.trust")
    assert [e.detail for e in audit] == [rig.sshd.host_key.fingerprint]


def test_trust_with_another_fingerprint_changes_nothing(rig: Rig) -> None:
    rig.add()
    pin(rig, rig.sshd.other_host_key)
    before = rig.state()
    with pytest.raises(HostKeyMismatch, match="nothing was pinned"):
        rig.services.servers.trust(
            rig.root, "web1", rig.sshd.other_host_key.fingerprint
        )
    assert rig.state() == before


def test_trust_refusals(rig: Rig) -> None:
    rig.services.servers.add(
        rig.root, ServerCreate("me", local=True), HostKeyDecision()
    )
    good = rig.sshd.host_key.fingerprint
    with pytest.raises(InvalidInput, match="invalid host key fingerprint"):
        rig.services.servers.trust(rig.root, "me", "SHA256:short")
    with pytest.raises(InvalidInput, match="is local"):
        rig.services.servers.trust(rig.root, "me", good)
    with pytest.raises(NotFound):
        rig.services.servers.trust(rig.root, "nope", good)
    with pytest.raises(PermissionDenied):
        rig.services.servers.trust(viewer(rig), "me", good)


# --- test ------------------------------------------------------------------


def test_test_reports_timing_os_and_host_key(rig: Rig) -> None:
    rig.add()
    result = rig.services.servers.test(viewer(rig), "web1")

    assert result.name == "web1"
    assert (result.connect_ms, result.latency_ms) == pytest.approx((12.0, 3.0))
    assert result.os == "Debian GNU/Linux 12 (bookworm) (Linux 6.1.0 x86_64)"
    assert result.host_key_fingerprint == rig.sshd.host_key.fingerprint
    assert rig.transports["web1"][0].argvs == [
        ("uname", "-srm"),
        ("cat", "/etc/os-release"),
    ]


def test_test_opens_a_fresh_connection_each_time(rig: Rig) -> None:
    rig.add()
    rig.services.servers.test(rig.root, "web1")
    rig.services.servers.test(rig.root, "web1")
    first, second = rig.transports["web1"]
    assert (first.closed, second.closed) == (1, 0)


def test_test_pins_an_unpinned_key_only_when_accepted(rig: Rig) -> None:
    rig.add()
    rig.services.servers.edit(rig.root, "web1", ServerChanges(host="127.0.0.9"))
    vera = viewer(rig)
    tofu = HostKeyDecision(trust_on_first_use=True)
    with pytest.raises(PermissionDenied, match="servers.write"):
        rig.services.servers.test(vera, "web1", tofu)
    with pytest.raises(HostKeyUnknown):
        rig.services.servers.test(rig.root, "web1", HostKeyDecision())
    assert rig.row().host_key is None

    result = rig.services.servers.test(rig.root, "web1", tofu)

    assert result.host_key_fingerprint == rig.sshd.host_key.fingerprint
    assert rig.row().host_key_fingerprint == rig.sshd.host_key.fingerprint


def test_test_a_local_server_runs_here(config: LoadedConfig, clock: FakeClock) -> None:
    services = build_services(config, clock=clock)
    services.store.seed()
    root = admin(services)
    services.servers.add(root, ServerCreate("me", local=True), HostKeyDecision())

    result = services.servers.test(root, "me")
    services.close()

    assert result.os.endswith(")") and "Linux" in result.os
    assert result.host_key_fingerprint is None


def test_test_an_unknown_server(rig: Rig) -> None:
    with pytest.raises(NotFound):
        rig.services.servers.test(rig.root, "nope")


# --- the real scanner and SSH transport ---------------------------------


@pytest.fixture
def real(
    config: LoadedConfig, clock: FakeClock
) -> Iterator[tuple[Services, Principal]]:
    services = build_services(config, clock=clock)
    services.store.seed()
    yield services, admin(services)
    services.close()


def add_real(
    services: Services,
    root: Principal,
    sshd: Sshd,
    key: str = "ed25519",
    decision: HostKeyDecision | None = None,
) -> None:
    client = sshd.keys[key]
    spec = ServerCreate(
        "box",
        sshd.host,
        port=sshd.port,
        username="root",
        key=KeySource(client.path, client.passphrase),
    )
    accept = decision or HostKeyDecision(sshd.host_key.fingerprint)
    services.servers.add(root, spec, accept)


def test_real_add_test_edit_test(real: tuple[Services, Principal], sshd: Sshd) -> None:
    services, root = real
    add_real(services, root, sshd, "ed25519_encrypted")
    first = services.servers.test(root, "box")
    with services.sessions() as s:
        before = ServerRepo(s).get("box").key_ciphertext

    services.servers.edit(root, "box", ServerChanges(description="edited"))
    second = services.servers.test(root, "box")

    with services.sessions() as s:
        assert ServerRepo(s).get("box").key_ciphertext == before
    assert first.os == second.os and "Linux" in first.os
    assert second.host_key_fingerprint == sshd.host_key.fingerprint


def test_real_trust_on_first_use(real: tuple[Services, Principal], sshd: Sshd) -> None:
    services, root = real
    add_real(services, root, sshd, decision=HostKeyDecision(trust_on_first_use=True))
    with services.sessions() as s:
        assert ServerRepo(s).get("box").host_key == sshd.host_key.base64


def test_real_mismatch_refuses_naming_both_keys_and_the_fix(
    real: tuple[Services, Principal], sshd: Sshd
) -> None:
    services, root = real
    add_real(services, root, sshd)
    with services.engine.begin() as conn:
        conn.execute(
            update(Server).values(
                host_key=sshd.other_host_key.base64,
                host_key_fingerprint=sshd.other_host_key.fingerprint,
            )
        )
    with pytest.raises(HostKeyMismatch) as err:
        services.servers.test(root, "box")
    presented, pinned = sshd.host_key.fingerprint, sshd.other_host_key.fingerprint
    assert "server box" in err.value.message
    assert f"pinned {pinned}, presented {presented}" in err.value.message
    assert f"ssop server trust box --fingerprint {presented}" in (err.value.hint or "")

    assert refusals(services) == [("root", "server.test", "box", "refused")]
    assert reasons(services, "server.test") == [err.value.message]

    services.servers.trust(root, "box", presented)
    assert services.servers.test(root, "box").host_key_fingerprint == presented


def test_real_unauthorized_key_fails_to_log_in(
    real: tuple[Services, Principal], sshd: Sshd
) -> None:
    services, root = real
    add_real(services, root, sshd, "unauthorized")
    with pytest.raises(AuthFailed, match="server box"):
        services.servers.test(root, "box")
    assert refusals(services) == [("root", "server.test", "box", "denied")]


def test_real_hung_host_ends_at_the_connect_timeout(
    real: tuple[Services, Principal], sshd: Sshd, hung_host: tuple[str, int]
) -> None:
    services, root = real
    add_real(services, root, sshd)
    with services.engine.begin() as conn:
        conn.execute(update(Server).values(host=hung_host[0], port=hung_host[1]))
    with pytest.raises(CommandTimeout, match="server box: no SSH handshake .* 2s"):
        services.servers.test(root, "box")


def test_real_scan_of_a_hung_host_at_add(
    real: tuple[Services, Principal], sshd: Sshd, hung_host: tuple[str, int]
) -> None:
    services, root = real
    spec = ServerCreate("h", *hung_host, key=KeySource(sshd.keys["ed25519"].path))
    with pytest.raises(CommandTimeout, match="^server h: no SSH handshake"):
        services.servers.add(root, spec, HostKeyDecision(trust_on_first_use=True))
    assert services.servers.list(root) == []
