# Multi-stage build of the project's two images on Debian 12 slim; `docker compose up -d
# --build` builds both (docker-compose.yaml names these targets), or by hand:
#   docker build --target pipeline -t sidearm/pipeline:local .
#   docker build --target gamestream-sim -t sidearm/gamestream-sim:local .
# The build stage runs the same scripts/build.sh as the README; the runtime stages hold
# only the binaries, the runtime libraries and (for the sim) the sample data.
FROM debian:12-slim AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN bash /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN bash scripts/build.sh -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release

FROM debian:12-slim AS runtime
# The MongoDB driver starts before main and keeps counters in /dev/shm/mongoc-<pid>; a
# killed process leaves the file, and the next process with its pid (pid 1, every start)
# prints a raw warning that breaks JSON logs. Nothing reads the counters: off.
ENV MONGOC_DISABLE_SHM=1
# glibc's per-thread cache of freed small blocks: 4096 of each size, not 7. Each document is
# a JSON tree of a few hundred small blocks freed and built again at once; past 7 a block
# takes malloc's slow path (issue 15: a third of the loop thread at 10,000 games, and the
# freshness tail: p99 3.4 s -> 78 ms, bench/RESULTS-scale.md). Read only at start.
ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=4096
# libwebsockets (the HTTP API) loads its libuv event library, libwebsockets-evlib_uv.so from
# libwebsockets-evlib-uv, when the pipeline starts: a runtime dependency ldd does not show.
# Its pkg-config also links libcap (libcap2), kept in some builds (e.g. with sanitizers).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjansson4 libuv1 libwebsockets17 libwebsockets-evlib-uv \
      libcap2 libsqlite3-0 libs3-2 \
      libmongoc-1.0-0 libbson-1.0-0 libsybdb5 libcurl4 libxml2 librdkafka1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/sidearm --create-home sidearm

FROM runtime AS pipeline
COPY --from=build /src/build/bin/pipeline /usr/local/bin/pipeline
# the HTTP API (--http); compose publishes it and probes /healthz
EXPOSE 8080
USER sidearm
WORKDIR /var/lib/sidearm
ENTRYPOINT ["/usr/local/bin/pipeline"]

FROM runtime AS gamestream-sim
COPY --from=build /src/build/bin/gamestream-sim /usr/local/bin/gamestream-sim
COPY sql/data /usr/share/sidearm/data
ENV EVENTS_FILE=/usr/share/sidearm/data/game.txt REFERENCE_DATA=/usr/share/sidearm/data/reference.json
USER sidearm
WORKDIR /var/lib/sidearm
ENTRYPOINT ["/usr/local/bin/gamestream-sim"]
