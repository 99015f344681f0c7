from pathlib import Path

from bot.once import Once
from bot.store import MemoryStore, SQLiteStore


async def test_claim_once_per_key() -> None:
    once = Once(MemoryStore())
    assert await once.claim("a")
    assert not await once.claim("a")
    assert await once.claim("b")


async def test_claims_expire() -> None:
    now = [0.0]
    once = Once(MemoryStore(clock=lambda: now[0]), ttl=10)
    assert await once.claim("a")
    now[0] = 5
    assert not await once.claim("a")
    now[0] = 11
    assert await once.claim("a")


async def test_release_allows_again() -> None:
    once = Once(MemoryStore())
    assert await once.claim("a")
    await once.release("a")
    assert await once.claim("a")


async def test_claims_survive_a_restart_on_the_same_file(tmp_path: Path) -> None:
    first = SQLiteStore(str(tmp_path / "once.db"))
    assert await Once(first).claim("event:Ev1")
    await first.close()
    second = SQLiteStore(str(tmp_path / "once.db"))
    assert not await Once(second).claim("event:Ev1")
    await second.close()
