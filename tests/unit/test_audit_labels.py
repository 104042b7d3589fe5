"""Every event the code records has a name a reviewer reads (comments/domain/audit_review.py EVENT_LABELS): the
audit review never shows a bare identifier such as ``login.succeeded``. The event names are read from the
source: each ``record_event`` call's action, a literal, either branch of a conditional, or a name assigned a
literal in the same module; the few actions built at run time are listed here with what they can be."""

from __future__ import annotations

import ast
from pathlib import Path

from comments.blueprints.refusals import ACTIONS as REFUSAL_ACTIONS
from comments.domain.audit_review import EVENT_LABELS, PROCESS_LABELS
from comments.models import InboundStatus

SOURCE = Path(__file__).resolve().parents[2] / "comments"

# Actions made at run time, by (module, source of the argument): the events each can record.
BUILT_AT_RUN_TIME = {
    ("ingestion/mail/pipeline.py", "f'inbound_message.{message.status.value}'"): {
        f"inbound_message.{status.value}" for status in InboundStatus
    },
    ("domain/list_exports.py", "f'{what}.exported'"): {"items.exported", "queue.exported"},
    ("blueprints/refusals.py", "action"): set(REFUSAL_ACTIONS),
}


def _literals_assigned(tree: ast.Module, name: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
        ):
            found.add(node.value.value)
    return found


def recorded_events() -> tuple[set[str], list[str]]:
    """The event names the code records, and the calls whose action could not be read."""
    names, unread = set(), []
    for path in sorted(SOURCE.rglob("*.py")):
        module = path.relative_to(SOURCE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", getattr(node.func, "attr", None)) != (
                "record_event"
            ):
                continue
            if len(node.args) < 2:
                unread.append(f"{module}:{node.lineno}")
                continue
            action = node.args[1]
            built = BUILT_AT_RUN_TIME.get((module, ast.unparse(action)))
            if built is not None:
                names |= built
            elif isinstance(action, ast.Constant):
                names.add(action.value)
            elif isinstance(action, ast.IfExp) and all(
                isinstance(branch, ast.Constant) for branch in (action.body, action.orelse)
            ):
                names |= {action.body.value, action.orelse.value}
            elif isinstance(action, ast.Name) and _literals_assigned(tree, action.id):
                names |= _literals_assigned(tree, action.id)
            else:
                unread.append(f"{module}:{node.lineno} {ast.unparse(action)}")
    return names, unread


def test_every_recorded_event_has_a_name():
    names, unread = recorded_events()
    assert unread == [], "list these actions in BUILT_AT_RUN_TIME with the events they can be"
    assert len(names) > 80
    assert sorted(names - set(EVENT_LABELS)) == [], "add these events to EVENT_LABELS"


def test_no_name_is_kept_for_an_event_nobody_records():
    names, _ = recorded_events()
    assert sorted(set(EVENT_LABELS) - names) == []


def test_the_services_own_processes_have_names():
    """Every actor the code names itself (``Actor("worker")``), and "anonymous", reads as a process."""
    named = {"anonymous"}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Actor"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                named.add(node.args[0].value)
    assert {"system", "cli", "worker", "mail-intake"} <= named
    assert sorted(named - set(PROCESS_LABELS)) == []
