#!/usr/bin/python3
"""A third-party mDNS witness for the tests: python3-zeroconf (Debian's, run with /usr/bin/python3).

usage:
  zeroconf-tool.py register NAME TYPE PORT HOST ADDRESS [KEY=VALUE ...]
      Registers a service (allow_name_change, so it renames on conflict), prints
      {"event": "registered", "name": ...}; on SIGTERM or stdin EOF unregisters it (goodbye packets),
      prints {"event": "unregistered"} and exits.
  zeroconf-tool.py browse TYPE
      Prints {"event": "added"|"updated", "name", "server", "port", "addresses", "txt"} for each resolved
      instance and {"event": "removed", "name"} when one goes; runs until SIGTERM or stdin EOF.
TYPE is "_http._tcp" or "_http._tcp.local.". Output is one JSON object per line, flushed.
"""
import json, signal, socket, sys, threading
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf


def qualified(t):
    """'_http._tcp' or 'host' -> '_http._tcp.local.' or 'host.local.'."""
    t = t.rstrip(".")
    return (t if t.endswith(".local") else t + ".local") + "."


def out(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()

zc = Zeroconf(ip_version=IPVersion.V4Only)
cmd = sys.argv[1]
if cmd == "register":
    name, type_, port, host, address = sys.argv[2:7]
    txt = dict(kv.split("=", 1) for kv in sys.argv[7:])
    info = ServiceInfo(
        qualified(type_),
        f"{name}.{qualified(type_)}",
        port=int(port),
        properties=txt,
        server=qualified(host),
        addresses=[socket.inet_aton(address)],
    )
    zc.register_service(info, allow_name_change=True)
    out(event="registered", name=info.name)
    done.wait()
    zc.unregister_service(info)
    out(event="unregistered")
elif cmd == "browse":
    type_ = qualified(sys.argv[2])

    def on_change(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Removed:
            out(event="removed", name=name)
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None:
            out(event="unresolved", name=name)
            return
        out(
            event="added" if state_change is ServiceStateChange.Added else "updated",
            name=name,
            server=info.server,
            port=info.port,
            addresses=info.parsed_addresses(),
            txt={k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()},
        )

    ServiceBrowser(zc, [type_], handlers=[on_change])
    out(event="browsing", type=type_)
    done.wait()
else:
    raise SystemExit(f"unknown command {cmd}")
zc.close()
