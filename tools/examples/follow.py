#!/usr/bin/python3
"""Follows the complaint ledger's event stream and prints a line per event.

An example of another service subscribing to the ledger, with Debian's
python3-grpcio. With --durable NAME the position is acknowledged after each
event, so a restarted follower resumes where it left off (an event may be
printed again only if the follower died between printing and acknowledging
it). Stubs are generated from the repository's proto/ at start.

  /usr/bin/python3 tools/examples/follow.py --target 127.0.0.1:50051 \\
      [--durable NAME] [--type Replied] [--station s1] [--prefix complaint-]

Prints "<position> <stream>@<revision> <type> <actor>", one line per event.
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = ["ledger/v1/event.proto", "ledger/v1/subscription_service.proto"]


def import_stubs(proto_dir):
    out = tempfile.mkdtemp(prefix="ledger-follow-")
    subprocess.run(
        ["protoc", "-I", proto_dir, "--python_out=" + out,
         "--grpc_python_out=" + out,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + [os.path.join(proto_dir, p) for p in PROTOS], check=True)
    sys.path.insert(0, out)
    from ledger.v1 import subscription_service_pb2 as pb
    from ledger.v1 import subscription_service_pb2_grpc as pb_grpc
    return pb, pb_grpc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--durable", default="")
    parser.add_argument("--from_position", type=int, default=1)
    parser.add_argument("--type", action="append", default=[])
    parser.add_argument("--station", default="")
    parser.add_argument("--prefix", default="")
    parser.add_argument(
        "--identity", default=os.environ.get("LEDGER_IDENTITY", ""),
        help="an identity directory (tools/dev_identity.sh): TLS with its "
        "ca.pem, and the token tokens/AS.token")
    parser.add_argument("--as", dest="as_agent", default="",
                        help="who calls: an agent or service of the registry")
    parser.add_argument("--proto_dir",
                        default=os.path.join(HERE, "..", "..", "proto"))
    args = parser.parse_args()

    import grpc
    pb, pb_grpc = import_stubs(args.proto_dir)
    if args.identity:
        # A ledgerd that checks callers: TLS, and a bearer token per call.
        with open(os.path.join(args.identity, "ca.pem"), "rb") as f:
            credentials = grpc.ssl_channel_credentials(f.read())
        if args.as_agent:
            with open(os.path.join(args.identity, "tokens",
                                   args.as_agent + ".token")) as f:
                token = f.read().strip()
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.access_token_call_credentials(token))
        channel = grpc.secure_channel(args.target, credentials)
    else:
        channel = grpc.insecure_channel(args.target)
    stub = pb_grpc.SubscriptionsStub(channel)
    request = pb.SubscribeRequest(
        from_position=args.from_position, durable_name=args.durable,
        filter=pb.SubscriptionFilter(event_types=args.type,
                                     station_id=args.station,
                                     stream_prefix=args.prefix))
    for item in stub.Subscribe(request):
        kind = item.WhichOneof("item")
        if kind == "event":
            e = item.event
            print(e.position, "%s@%d" % (e.stream_id, e.revision),
                  e.event_type.rsplit(".", 1)[-1], e.actor, flush=True)
            position = e.position
        elif kind == "checkpoint":
            position = item.checkpoint.position
        else:
            continue
        if args.durable:
            stub.Ack(pb.AckRequest(durable_name=args.durable,
                                   position=position), timeout=30)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
