"""The annotation scene: ordering, idempotence, lifetime; the pointer board."""

from __future__ import annotations

from ultrasound_consult.annotate.scene import AnnotationScene, PointerBoard
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import (
    AnnotationAdd,
    AnnotationClear,
    AnnotationRemove,
    Pointer,
)


def mark(i: int, author: str = "a", **kw) -> Annotation:
    return Annotation(
        id=f"a{i}", kind=AnnotationKind.MARK, points=((0.1 * i % 1, 0.5),), author=author, **kw
    )


def test_add_remove_clear_in_order():
    scene = AnnotationScene()
    assert scene.apply(AnnotationAdd("o1", mark(1)))
    assert scene.apply(AnnotationAdd("o2", mark(2, "b")))
    assert [a.id for a in scene.annotations()] == ["a1", "a2"]
    assert scene.apply(AnnotationRemove("o3", "a1"))
    assert [a.id for a in scene.annotations()] == ["a2"]
    assert not scene.apply(AnnotationRemove("o4", "a1")), "removing twice changes nothing"
    assert scene.apply(AnnotationClear("o5"))
    assert len(scene) == 0


def test_reapplying_an_operation_is_a_no_op():
    scene = AnnotationScene()
    op = AnnotationAdd("o1", mark(1))
    assert scene.apply(op)
    rev = scene.revision
    scene.apply(AnnotationRemove("o2", "a1"))
    assert not scene.apply(op), "a duplicate delivery must not resurrect a removed annotation"
    assert len(scene) == 0 and scene.revision == rev + 1


def test_two_scenes_fed_the_same_ops_converge_even_with_duplicates():
    ops = [AnnotationAdd(f"o{i}", mark(i, "ab"[i % 2])) for i in range(10)]
    ops += [AnnotationRemove("r1", "a3"), AnnotationClear("c1", author="a")]
    left, right = AnnotationScene(), AnnotationScene()
    for op in ops:
        left.apply(op)
    for op in ops + ops[:5] + ops:  # retries after a reconnect
        right.apply(op)
    assert left.annotations() == right.annotations()
    assert all(a.author == "b" for a in left.annotations())


def test_update_keeps_drawing_order():
    scene = AnnotationScene()
    scene.apply(AnnotationAdd("o1", mark(1)))
    scene.apply(AnnotationAdd("o2", mark(2)))
    moved = Annotation(id="a1", kind=AnnotationKind.MARK, points=((0.9, 0.9),), author="a")
    assert scene.apply(AnnotationAdd("o3", moved))
    assert [a.id for a in scene.annotations()] == ["a1", "a2"]
    assert scene.get("a1").points == ((0.9, 0.9),)


def test_clear_by_author_leaves_others():
    scene = AnnotationScene()
    for i, who in enumerate("aabab"):
        scene.apply(AnnotationAdd(f"o{i}", mark(i, who)))
    scene.apply(AnnotationClear("c", author="a"))
    assert {a.author for a in scene.annotations()} == {"b"}


def test_lifetime_expiry():
    scene = AnnotationScene()
    scene.apply(AnnotationAdd("o1", mark(1, created_ms=1000, lifetime_s=2.0)))
    scene.apply(AnnotationAdd("o2", mark(2, created_ms=1000)))
    assert not scene.expire(2999)
    assert scene.expire(3000)
    assert [a.id for a in scene.annotations()] == ["a2"]


def test_pointer_board_ignores_late_updates_and_hides():
    board = PointerBoard()
    assert board.update(Pointer(seq=5, x=0.5, y=0.5, author="x"))
    assert not board.update(Pointer(seq=4, x=0.1, y=0.1, author="x")), "reordered packet"
    assert board.visible()[0].x == 0.5
    assert board.update(Pointer(seq=6, x=0.5, y=0.5, author="x", visible=False))
    assert board.visible() == ()
    board.update(Pointer(seq=1, x=0.2, y=0.2, author="y"))
    board.forget("y")
    assert board.visible() == ()
