"""MemoryClaims: the in-process claim record behind ``claim(key, ttl)`` / ``release(key)``."""

from bot.claims import Claims, MemoryClaims


async def test_claim_is_true_once_per_key() -> None:
    claims = MemoryClaims()
    assert await claims.claim("a", 60)
    assert not await claims.claim("a", 60)
    assert await claims.claim("b", 60)


async def test_claim_expires_after_its_own_ttl() -> None:
    now = [0.0]
    claims = MemoryClaims(clock=lambda: now[0])
    assert await claims.claim("a", 10)
    assert await claims.claim("b", 100)
    now[0] = 9.9
    assert not await claims.claim("a", 10)
    now[0] = 20.0
    assert await claims.claim("a", 10)
    assert not await claims.claim("b", 100)


async def test_size_is_bounded_oldest_forgotten() -> None:
    claims = MemoryClaims(max_keys=2)
    assert await claims.claim("a", 60) and await claims.claim("b", 60)
    assert await claims.claim("c", 60)
    assert await claims.claim("a", 60)
    assert not await claims.claim("c", 60)


async def test_release_allows_retry() -> None:
    claims = MemoryClaims()
    assert await claims.claim("a", 60)
    await claims.release("a")
    assert await claims.claim("a", 60)
    await claims.release("never-claimed")


def test_memory_claims_is_a_claims() -> None:
    assert isinstance(MemoryClaims(), Claims)
