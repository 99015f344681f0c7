from bot.once import Once


def test_claim_is_true_once_per_key() -> None:
    once = Once()
    assert once.claim("a")
    assert not once.claim("a")
    assert once.claim("b")


def test_claim_expires_after_ttl() -> None:
    now = [0.0]
    once = Once(ttl=10, clock=lambda: now[0])
    assert once.claim("a")
    now[0] = 9.9
    assert not once.claim("a")
    now[0] = 20.0
    assert once.claim("a")


def test_size_is_bounded_oldest_forgotten() -> None:
    once = Once(max_keys=2)
    assert once.claim("a") and once.claim("b") and once.claim("c")
    assert once.claim("a")
    assert not once.claim("c")


def test_release_allows_retry() -> None:
    once = Once()
    assert once.claim("a")
    once.release("a")
    assert once.claim("a")
