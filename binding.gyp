{
  "targets": [
    {
      "target_name": "sleep_proxy_link",
      "sources": ["native/link.cc", "native/packet-socket.cc", "native/answer-frame.cc", "native/answerer.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17"],
      "ldflags": ["-Wl,--as-needed", "-static-libgcc"]
    }
  ]
}
