#!/usr/bin/python3
"""A real external client: Debian's python3-grpcio against a real ledgerd.

Generates the Python stubs from proto/ with protoc and Debian's
grpc_python_plugin, makes a development identity (tools/dev_identity.sh), starts ledgerd on
port 0 in a temporary directory over TLS, checking tokens, then (as the
bootstrap head) registers a centre head and an agent, receives a complaint, classifies it,
chooses a track, replies, revisits and signs it off, and checks the
timeline GetComplaint returns. Exits non-zero on the first failed check.

  /usr/bin/python3 tests/python/complaint_client_test.py \\
      --ledgerd build/services/ledgerd --proto_dir proto \\
      --dev_identity tools/dev_identity.sh --ledger_token build/tools/ledger_token
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from ledgerd_process import generate_stubs, start_ledgerd

PROTOS = [
    "ledger/v1/common.proto",
    "ledger/v1/event.proto",
    "ledger/v1/complaint_events.proto",
    "ledger/v1/reference_events.proto",
    "ledger/v1/complaint_state.proto",
    "ledger/v1/commands.proto",
    "ledger/v1/complaint_service.proto",
]


HEALTH_PROTO = "third_party/grpc/health/v1/health.proto"


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def run(target, identity):
    import grpc
    from ledger.v1 import commands_pb2 as commands
    from ledger.v1 import common_pb2 as common
    from ledger.v1 import complaint_service_pb2 as service
    from ledger.v1 import complaint_service_pb2_grpc as service_grpc
    from ledger.v1 import complaint_state_pb2 as state

    def ctx(actor, command_id=""):
        return commands.CommandContext(actor_agent_id=actor,
                                       command_id=command_id)

    # Over TLS, each person with their own token (issue 23): a channel each.
    with open(os.path.join(identity, "ca.pem"), "rb") as f:
        tls = grpc.ssl_channel_credentials(f.read())

    def channel_of(agent):
        if not agent:
            return grpc.secure_channel(target, tls)
        with open(os.path.join(identity, "tokens", agent + ".token")) as f:
            token = f.read().strip()
        return grpc.secure_channel(target, grpc.composite_channel_credentials(
            tls, grpc.access_token_call_credentials(token)))

    channels = {agent: channel_of(agent) for agent in ["h1", "a17"]}
    channel = channels["h1"]
    grpc.channel_ready_future(channel).result(timeout=30)

    # Python's grpc is still Debian's, and the health stubs generated from
    # proto/ ask ledgerd about its command service.
    from third_party.grpc.health.v1 import health_pb2, health_pb2_grpc
    check(grpc.__file__.startswith("/usr/"),
          "import grpc is Debian's grpc (%s)" % grpc.__file__)
    answer = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service="ledger.v1.ComplaintService"),
        timeout=30)
    check(answer.status == health_pb2.HealthCheckResponse.SERVING,
          "health: ledger.v1.ComplaintService is SERVING")
    complaints = {agent: service_grpc.ComplaintServiceStub(c)
                  for agent, c in channels.items()}
    reference = service_grpc.ReferenceDataServiceStub(channel)

    for who, what, expected in [
            ("", "nobody", grpc.StatusCode.UNAUTHENTICATED),
            ("a17", "an agent naming the head", grpc.StatusCode.PERMISSION_DENIED)]:
        try:
            service_grpc.ReferenceDataServiceStub(channel_of(who)).RegisterAgent(
                commands.RegisterAgent(
                    context=ctx("h1"),
                    agent={"agent_id": "h1", "display_name": "h1",
                           "roles": [common.ROLE_CENTRE_HEAD], "active": True}),
                timeout=30)
            check(False, "%s cannot register the first head" % what)
        except grpc.RpcError as e:
            check(e.code() == expected,
                  "%s cannot register the first head: %s %s"
                  % (what, e.code(), e.details()))

    for agent_id, role in [("h1", common.ROLE_CENTRE_HEAD),
                           ("a17", common.ROLE_AGENT)]:
        reference.RegisterAgent(commands.RegisterAgent(
            context=ctx("h1"),
            agent={"agent_id": agent_id, "display_name": agent_id,
                   "roles": [role], "active": True}), timeout=30)

    received = complaints["a17"].ReceiveComplaint(commands.ReceiveComplaint(
        context=ctx("a17", "py-1"), channel=common.CHANNEL_PHONE,
        customer=common.CustomerContact(name="Wang", phone="13800138000"),
        content="The paper came wet."), timeout=30)
    complaint_id = received.state.complaint_id
    check(complaint_id == "2026-000001", "receive numbers the complaint")
    check(received.state.owner_agent_id == "a17",
          "the answering agent owns a phone complaint")
    check(received.events[0].position > 0, "events come back with positions")

    retry = complaints["a17"].ReceiveComplaint(commands.ReceiveComplaint(
        context=ctx("a17", "py-1"), channel=common.CHANNEL_PHONE,
        customer=common.CustomerContact(name="Wang", phone="13800138000"),
        content="The paper came wet."), timeout=30)
    check(retry.duplicate and retry.state.complaint_id == complaint_id,
          "a retry with the same command id gets the original result")

    complaints["a17"].Classify(commands.Classify(
        context=ctx("a17"), complaint_id=complaint_id,
        classification=commands.Classification(
            kind=common.INFO_KIND_COMPLAINT,
            category=common.COMPLAINT_CATEGORY_SERVICE_QUALITY,
            importance=common.IMPORTANCE_GENERAL)), timeout=30)
    tracked = complaints["a17"].ChooseTrack(commands.ChooseTrack(
        context=ctx("a17"), complaint_id=complaint_id,
        track=common.HANDLING_TRACK_INTERNAL_STUDY), timeout=30)
    check(tracked.state.reply_due_us > tracked.state.received_time_us,
          "the track stamps a reply deadline")
    complaints["a17"].Reply(commands.Reply(
        context=ctx("a17"), complaint_id=complaint_id,
        outcome=common.REPLY_OUTCOME_RESOLVED, reply="A sleeve from now on."),
        timeout=30)

    try:
        complaints["h1"].SignOff(commands.SignOff(
            context=ctx("h1"), complaint_id=complaint_id,
            record_complete=True), timeout=30)
        check(False, "sign-off before the revisit is refused")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.FAILED_PRECONDITION
              and "revisit" in e.details(),
              "sign-off before the revisit is FAILED_PRECONDITION: "
              + e.details())

    complaints["a17"].RecordRevisit(commands.RecordRevisit(
        context=ctx("a17"), complaint_id=complaint_id,
        satisfaction=common.SATISFACTION_SATISFIED, resolved=True), timeout=30)
    signed = complaints["h1"].SignOff(commands.SignOff(
        context=ctx("h1"), complaint_id=complaint_id, record_complete=True),
        timeout=30)
    check(signed.state.stage == state.STAGE_CLOSED, "sign-off closes it")

    view = complaints["a17"].GetComplaint(
        service.GetComplaintRequest(complaint_id=complaint_id), timeout=30)
    types = [e.event_type.rsplit(".", 1)[1] for e in view.timeline]
    check(types == ["ComplaintReceived", "ComplaintClassified",
                    "HandlingTrackChosen", "Replied", "RevisitRecorded",
                    "SignedOff"], "the timeline holds every action: %s" % types)
    check([e.revision for e in view.timeline] == list(range(6)),
          "revisions run 0..5")
    check([e.actor for e in view.timeline][-1] == "h1",
          "the sign-off names the centre head")
    check(view.state == signed.state, "GetComplaint returns the same state")

    try:
        complaints["a17"].GetComplaint(
            service.GetComplaintRequest(complaint_id="2026-999999"), timeout=30)
        check(False, "an unknown complaint is NOT_FOUND")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.NOT_FOUND,
              "an unknown complaint is NOT_FOUND")

    # Issue 22, finding 5: request bytes that do not parse (a string that is
    # not UTF-8, random bytes) were UNIMPLEMENTED with an empty message.
    raw = channel.unary_unary(
        "/ledger.v1.ComplaintService/ReceiveComplaint",
        request_serializer=lambda b: b, response_deserializer=lambda b: b)
    not_utf8 = b"\x2a\x03\xff\xfe\xfd"  # content = 3 invalid UTF-8 bytes
    for body, what in [(not_utf8, "invalid UTF-8"),
                       (bytes(range(7, 200, 3)), "random bytes")]:
        try:
            raw(body, timeout=30)
            check(False, "a request of %s is refused" % what)
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT
                  and "ReceiveComplaint" in e.details(),
                  "a request of %s is INVALID_ARGUMENT naming the RPC: %s %s"
                  % (what, e.code(), e.details()))

    # Every other RPC likewise (bytes whose first tag is field 0, which no
    # message has): reads, queries, batches, subscriptions, acks.
    garbage = bytes(range(7, 200, 3))
    for path in ["/ledger.v1.Ledger/ReadStream", "/ledger.v1.Ledger/ReadAll",
                 "/ledger.v1.Ledger/GetHead", "/ledger.v1.Ledger/GetLogHead",
                 "/ledger.v1.QueryService/GetQueue",
                 "/ledger.v1.QueryService/GetStationTable",
                 "/ledger.v1.QueryService/GetMonthlyAnalysis",
                 "/ledger.v1.QueryService/GetAgentScorecard",
                 "/ledger.v1.QueryService/ListProjections",
                 "/ledger.v1.QueryService/Rebuild",
                 "/ledger.v1.ComplaintService/ExecuteBatch",
                 "/ledger.v1.ComplaintService/GetComplaint",
                 "/ledger.v1.ReferenceDataService/RegisterAgent",
                 "/ledger.v1.Subscriptions/Ack",
                 "/ledger.v1.Subscriptions/Subscribe"]:
        streaming = path.endswith("/Subscribe")
        call = (channel.unary_stream if streaming else channel.unary_unary)(
            path, request_serializer=lambda b: b,
            response_deserializer=lambda b: b)
        try:
            reply = call(garbage, timeout=30)
            if streaming:
                next(reply)
            check(False, "unparseable bytes to %s are refused" % path)
        except grpc.RpcError as e:
            method = path.rsplit("/", 1)[1]
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT
                  and method in e.details(),
                  "unparseable bytes to %s are INVALID_ARGUMENT naming it: "
                  "%s %s" % (path, e.code(), e.details()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledgerd", required=True)
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("--dev_identity", required=True,
                        help="tools/dev_identity.sh")
    parser.add_argument("--ledger_token", required=True,
                        help="the ledger_token binary")
    args = parser.parse_args()
    work_dir = tempfile.mkdtemp(prefix="ledger-python-")
    process = None
    try:
        generate_stubs(args.proto_dir, os.path.join(work_dir, "stubs"),
                       required=PROTOS + [HEALTH_PROTO])
        identity = os.path.join(work_dir, "identity")
        subprocess.run(["bash", args.dev_identity, identity, "h1", "a17"],
                       env=dict(os.environ, LEDGER_TOKEN_TOOL=args.ledger_token),
                       check=True)
        process, target = start_ledgerd(args.ledgerd, work_dir, identity)
        run(target, identity)
        process.send_signal(signal.SIGTERM)
        check(process.wait(timeout=60) == 0, "ledgerd stops cleanly")
        process = None
    finally:
        if process is not None:
            process.kill()
            process.wait()
            with open(os.path.join(work_dir, "ledgerd.log")) as log:
                sys.stderr.write(log.read())
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
