#!/usr/bin/python3
"""Volumes read through ITK keep their values and geometry.

Each file is written here byte by byte from its format's specification (NRRD 4,
MetaImage, NIfTI-1 with an sform, PNG), with a known geometry and known values;
the test checks what assay reads. Geometry is in LPS, so the NIfTI file's RAS sform
comes out with its first two axes negated. Usage: volume_test.py DUMP_VOLUME
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

DUMP = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def close(a, b, tol=1e-6):
    return len(a) == len(b) and all(abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b))


def read(path):
    result = subprocess.run([DUMP, path], capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip()
    lines = result.stdout.splitlines()
    return json.loads(lines[0]), [float(x) for x in lines[1:]]


def expect(path, fmt, size, components, spacing, origin, direction, values):
    name = os.path.basename(path)
    header, got = read(path)
    if header is None:
        failures.append(f"{name}: {got}")
        return
    check(header["format"] == fmt, f"{name}: format {header['format']}")
    check(header["size"] == size, f"{name}: size {header['size']} != {size}")
    check(header["components"] == components, f"{name}: components {header['components']}")
    check(close(header["spacing"], spacing), f"{name}: spacing {header['spacing']} != {spacing}")
    check(close(header["origin"], origin), f"{name}: origin {header['origin']} != {origin}")
    check(close(header["direction"], direction), f"{name}: direction {header['direction']} != {direction}")
    check(close(got, values), f"{name}: values differ ({got[:6]} ... vs {values[:6]} ...)")


with tempfile.TemporaryDirectory() as work:
    values = [float(i * 7 % 23 - 5) for i in range(4 * 3 * 2)]  # x fastest, then y, then z

    # NRRD: axis 0 along +y (1.5 mm), axis 1 along -x (0.8 mm), axis 2 along +z (2.5 mm).
    nrrd = os.path.join(work, "a.nrrd")
    with open(nrrd, "wb") as f:
        f.write(b"NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\n"
                b"sizes: 4 3 2\nspace directions: (0,1.5,0) (-0.8,0,0) (0,0,2.5)\n"
                b"kinds: domain domain domain\nendian: little\nencoding: raw\n"
                b"space origin: (10,-20,30)\n\n")
        f.write(struct.pack("<24h", *[int(v) for v in values]))
    # Direction, row-major with the axes as columns: column 0 = (0,1,0), column 1 = (-1,0,0).
    expect(nrrd, "NRRD", [4, 3, 2], 1, [1.5, 0.8, 2.5], [10, -20, 30],
           [0, -1, 0, 1, 0, 0, 0, 0, 1], values)

    # MetaImage, float voxels in the same file.
    mha = os.path.join(work, "b.mha")
    with open(mha, "wb") as f:
        f.write(b"ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
                b"DimSize = 4 3 2\nElementType = MET_FLOAT\nElementSpacing = 0.5 0.6 0.7\n"
                b"Offset = 1 2 3\nTransformMatrix = 1 0 0 0 1 0 0 0 1\nElementDataFile = LOCAL\n")
        f.write(struct.pack("<24f", *values))
    expect(mha, "MetaImage", [4, 3, 2], 1, [0.5, 0.6, 0.7], [1, 2, 3],
           [1, 0, 0, 0, 1, 0, 0, 0, 1], values)

    # NIfTI-1 with an sform (RAS): 0.9, 1.1, 1.3 mm; origin (-5, 6, 7) in RAS.
    nii = os.path.join(work, "c.nii")
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, 4, 3, 2, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, 16, 32)  # datatype float32, bitpix
    struct.pack_into("<8f", header, 76, 1.0, 0.9, 1.1, 1.3, 0, 0, 0, 0)
    struct.pack_into("<f", header, 108, 352.0)  # vox_offset
    struct.pack_into("<f", header, 112, 1.0)  # scl_slope
    struct.pack_into("<B", header, 123, 2)  # xyzt_units: mm
    struct.pack_into("<hh", header, 252, 0, 1)  # qform_code, sform_code
    struct.pack_into("<4f", header, 280, 0.9, 0, 0, -5)
    struct.pack_into("<4f", header, 296, 0, 1.1, 0, 6)
    struct.pack_into("<4f", header, 312, 0, 0, 1.3, 7)
    header[344:348] = b"n+1\0"
    with open(nii, "wb") as f:
        f.write(bytes(header) + b"\0\0\0\0" + struct.pack("<24f", *values))
    expect(nii, "NIfTI", [4, 3, 2], 1, [0.9, 1.1, 1.3], [5, -6, 7],
           [-1, 0, 0, 0, -1, 0, 0, 0, 1], values)

    # PNG, 8-bit RGB, 5 x 3: a 2D image is a volume of depth 1.
    def png(path, width, height, channels, pixels):
        color = {1: 0, 3: 2}[channels]
        raw = b"".join(b"\0" + bytes(pixels[(y * width) * channels:((y + 1) * width) * channels])
                       for y in range(height))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    rgb = [(i * 37) % 256 for i in range(5 * 3 * 3)]
    png(os.path.join(work, "d.png"), 5, 3, 3, rgb)
    expect(os.path.join(work, "d.png"), "PNG", [5, 3, 1], 3, [1, 1, 1], [0, 0, 0],
           [1, 0, 0, 0, 1, 0, 0, 0, 1], [float(v) for v in rgb])

    # Errors name the file: garbage with a NIfTI name, an unknown format.
    bad = os.path.join(work, "broken.nii")
    with open(bad, "wb") as f:
        f.write(b"this is not a volume" * 30)
    header, error = read(bad)
    check(header is None and "broken.nii" in error, f"broken.nii: {error}")
    other = os.path.join(work, "notes.xyz")
    with open(other, "w") as f:
        f.write("hello\n")
    header, error = read(other)
    check(header is None and "notes.xyz" in error, f"notes.xyz: {error}")

print(f"4 volume formats read; {len(failures)} differences")
for message in failures:
    print("FAIL:", message)
sys.exit(1 if failures else 0)
