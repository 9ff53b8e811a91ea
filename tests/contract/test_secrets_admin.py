"""Master key rotation on both dialects: re-encrypt everything, drop the old key."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, update

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.errors import ConfigError, PermissionDenied, StoreError
from ssop.core.fleet.server_input import HostKeyDecision, KeySource, ServerCreate
from ssop.core.models import Server
from ssop.core.secrets import rotation
from ssop.core.secrets.master_key import create_master_key, write_master_keys
from ssop.core.secrets.secretbox import SecretBox
from ssop.core.services import Services, build_services
from ssop.core.store.server_repo import ServerRepo
from tests.fakes.clock import FakeClock
from tests.fakes.host_keys import FakeHostKeyScanner
from tests.support.auth import add_user, admin, login, snapshot
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd  # key files come from the sshd fixture

ADDRESS = ("127.0.0.9", 2201)


def make_services(
    store_url: str, env: dict[str, str], clock: FakeClock, sshd: Sshd, **extra: str
) -> Services:
    environ = {**env, "SSOP_DATABASE_URL": store_url, **extra}
    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    scanner = FakeHostKeyScanner({ADDRESS: sshd.host_key})
    services = build_services(config, clock=clock, host_key_scanner=scanner)
    services.store.seed()
    return services


def add_servers(services: Services, root: Principal, sshd: Sshd) -> None:
    accept = HostKeyDecision(sshd.host_key.fingerprint)
    keys = {
        "plain": ("ed25519", None),
        "locked": ("ed25519_encrypted", "correct horse"),
    }
    for name, (key, passphrase) in keys.items():
        source = KeySource(sshd.keys[key].path, passphrase)
        services.servers.add(root, ServerCreate(name, *ADDRESS, key=source), accept)
    services.servers.add(root, ServerCreate("agent", *ADDRESS, use_agent=True), accept)


def stored(services: Services) -> dict[str, tuple[str | None, str | None]]:
    with services.sessions() as s:
        return {
            x.name: (x.key_ciphertext, x.passphrase_ciphertext)
            for x in ServerRepo(s).list()
        }


def opens_with(key: bytes, services: Services, sshd: Sshd) -> bool:
    box = SecretBox([key])
    rows = stored(services)
    try:
        return (
            box.decrypt(rows["plain"][0] or "") == sshd.keys["ed25519"].pem
            and box.decrypt(rows["locked"][1] or "") == "correct horse"
        )
    except StoreError:
        return False


@pytest.fixture
def key_file(loaded_config: LoadedConfig) -> Path:
    path = loaded_config.paths.secret_key_file
    create_master_key(path)
    return path


@pytest.fixture
def svc(
    store_url: str,
    isolated_env: dict[str, str],
    clock: FakeClock,
    sshd: Sshd,
    key_file: Path,
) -> Iterator[tuple[Services, Principal]]:
    services = make_services(store_url, isolated_env, clock, sshd)
    root = admin(services)
    add_servers(services, root, sshd)
    yield services, root
    services.close()


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[list[bytes]]:
    """Each version of the key file rotation writes, as read back from disk."""
    versions: list[list[bytes]] = []

    def recording(path: Path, keys: list[bytes]) -> None:
        write_master_keys(path, keys)
        versions.append(path.read_bytes().split())

    monkeypatch.setattr(rotation, "write_master_keys", recording)
    return versions


def test_rotate_reencrypts_under_a_new_key_then_drops_the_old(
    svc: tuple[Services, Principal],
    sshd: Sshd,
    key_file: Path,
    written: list[list[bytes]],
) -> None:
    services, root = svc
    old = key_file.read_bytes().strip()
    before = stored(services)

    report = services.secrets_admin.rotate(root)

    new = key_file.read_bytes().strip()
    assert written == [[new, old], [new]]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (report.servers, report.secrets, report.retired_keys) == (2, 3, 1)
    assert report.key_file == key_file
    after = stored(services)
    assert after["agent"] == (None, None)
    assert all(after[n][0] != before[n][0] for n in ("plain", "locked"))
    assert opens_with(new, services, sshd) and not opens_with(old, services, sshd)
    audit = services.audit_log.list(root, event="secrets.rotate")
    assert [(e.actor, e.target) for e in audit] == [("root", "master key")]
    assert audit[0].detail.startswith("re-encrypted 3 secrets of 2 servers")
    assert old.decode() not in audit[0].detail and new.decode() not in audit[0].detail


def test_a_row_written_under_the_old_key_meanwhile_is_caught(
    svc: tuple[Services, Principal],
    sshd: Sshd,
    key_file: Path,
    written: list[list[bytes]],
) -> None:
    services, root = svc
    old_box = SecretBox([key_file.read_bytes().strip()])
    late = old_box.encrypt(sshd.keys["rsa"].pem)
    fired: list[bool] = []

    def late_writer(_session: object) -> None:
        # a process that loaded the key file before the rotation began
        if len(written) == 1 and not fired:
            fired.append(True)
            with services.engine.begin() as conn:
                conn.execute(
                    update(Server)
                    .where(Server.name == "plain")  # type: ignore[arg-type]
                    .values(key_ciphertext=late)
                )

    event.listen(services.sessions, "after_commit", late_writer)
    try:
        services.secrets_admin.rotate(root)
    finally:
        event.remove(services.sessions, "after_commit", late_writer)

    assert fired
    new = key_file.read_bytes().strip()
    plain = stored(services)["plain"][0] or ""
    assert plain != late
    assert SecretBox([new]).decrypt(plain) == sshd.keys["rsa"].pem


def test_a_secret_no_key_opens_stops_rotation_before_any_change(
    svc: tuple[Services, Principal], key_file: Path
) -> None:
    services, root = svc
    foreign = SecretBox([Fernet.generate_key()]).encrypt("x")
    with services.engine.begin() as conn:
        conn.execute(
            update(Server)
            .where(Server.name == "plain")  # type: ignore[arg-type]
            .values(key_ciphertext=foreign)
        )
    before, file_before = stored(services), key_file.read_bytes()

    with pytest.raises(
        StoreError, match="server plain: its stored key opens with none"
    ):
        services.secrets_admin.rotate(root)

    assert stored(services) == before and key_file.read_bytes() == file_before


@pytest.mark.parametrize(
    ("case", "message"),
    [("exposed", "readable by group or others"), ("missing", "does not exist")],
)
def test_a_bad_key_file_is_an_error_never_a_fallback(
    svc: tuple[Services, Principal], key_file: Path, case: str, message: str
) -> None:
    services, root = svc
    before = stored(services)
    if case == "exposed":
        key_file.chmod(0o644)
    else:
        key_file.unlink()
    with pytest.raises(ConfigError, match=message):
        services.secrets_admin.rotate(root)
    assert stored(services) == before
    assert not key_file.exists() or stat.S_IMODE(key_file.stat().st_mode) == 0o644


def test_only_settings_write_may_rotate(
    svc: tuple[Services, Principal], key_file: Path
) -> None:
    services, _ = svc
    add_user(services, "olga", Role.OPERATOR, "olga-pw")
    file_before, before = key_file.read_bytes(), stored(services)
    with pytest.raises(PermissionDenied, match="lacks settings.write"):
        services.secrets_admin.rotate(login(services, "olga", "olga-pw"))
    assert key_file.read_bytes() == file_before and stored(services) == before


def test_a_single_key_from_the_environment_is_refused_with_the_steps(
    store_url: str, isolated_env: dict[str, str], clock: FakeClock, sshd: Sshd
) -> None:
    only = Fernet.generate_key().decode()
    services = make_services(store_url, isolated_env, clock, sshd, SSOP_SECRET_KEY=only)
    root = admin(services)
    add_servers(services, root, sshd)
    before = snapshot(services.engine, ("servers",))

    with pytest.raises(ConfigError) as err:
        services.secrets_admin.rotate(root)
    services.close()

    assert err.value.message == (
        "the master key comes from env SSOP_SECRET_KEY: ssop cannot rewrite it"
    )
    assert "ssop secrets new-key" in (err.value.hint or "")
    assert "set SSOP_SECRET_KEY to NEW,OLD" in (err.value.hint or "")
    assert only not in err.value.message + (err.value.hint or "")
    assert snapshot(services.engine, ("servers",)) == before


def test_new_and_old_keys_from_the_environment_reencrypt_under_the_first(
    store_url: str, isolated_env: dict[str, str], clock: FakeClock, sshd: Sshd
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    first = make_services(
        store_url, isolated_env, clock, sshd, SSOP_SECRET_KEY=old.decode()
    )
    root = admin(first)
    add_servers(first, root, sshd)
    first.close()
    both = f"{new.decode()},{old.decode()}"
    services = make_services(store_url, isolated_env, clock, sshd, SSOP_SECRET_KEY=both)

    report = services.secrets_admin.rotate(root)

    assert (report.key_file, report.retired_keys, report.secrets) == (None, 1, 3)
    assert report.source == "the first key of env SSOP_SECRET_KEY"
    assert opens_with(new, services, sshd) and not opens_with(old, services, sshd)
    services.close()
