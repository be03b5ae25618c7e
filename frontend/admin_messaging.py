"""The back office's messaging page (/admin/messaging): each event subscription's
dead-letter queue with its messages and why they are there, and replay of one message or a
whole queue once the cause is fixed. The website has no broker credentials: checkoutservice
serves the dead-letter queues (shop.operations.v1.DeadLetterService) and records each
replay in its audit log. For admins only, as the rest of /admin."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from shop.operations.v1 import dead_letters_pb2

from frontend import backends, back_office
from frontend.admin_order_views import when
from frontend.clients import Refused

bp = Blueprint("admin_messaging", __name__, url_prefix="/admin/messaging")
bp.before_request(back_office.admins_only)
bp.after_request(back_office.never_cached)


@bp.get("")
def dead_letters():
    queues = backends().checkout.ListDeadLetters(dead_letters_pb2.ListDeadLettersRequest()).queues
    return render_template("admin/messaging.html", queues=queues, when=when,
                           waiting=sum(len(queue.messages) for queue in queues))


@bp.post("/replay")
def replay():
    queue = request.form.get("queue", "")
    message_ids = request.form.getlist("message_id")
    replay_all = request.form.get("all") == "yes"
    if not replay_all and not message_ids:
        abort(400, "Choose a message to replay, or the whole queue.")
    try:
        done = backends().checkout.ReplayDeadLetters(dead_letters_pb2.ReplayDeadLettersRequest(
            queue=queue, message_ids=[] if replay_all else message_ids, all=replay_all))
    except Refused as refused:
        abort(400, refused.message)
    back_office.admin_action("replay dead letters", queue=queue, replayed=[d.message_id for d in done.replayed])
    flash(replay_message(queue, [d.source_queue for d in done.replayed], list(done.missing)))
    return redirect("/admin/messaging", 303)


def replay_message(queue: str, put_back_on: list[str], missing: list[str]) -> str:
    """What the admin is told after a replay. Pure."""
    count = len(put_back_on)
    told = f"{count} message{'s' if count != 1 else ''} put back on {', '.join(sorted(set(put_back_on))) or 'a queue'}"
    if missing:
        told += f"; no longer in {queue}: {', '.join(missing)}"
    return told + "."
