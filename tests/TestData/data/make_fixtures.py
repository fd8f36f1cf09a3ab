"""Regenerates the numpy-written fixtures the data-reader tests read (BuildOptim.Tests/Data).

Run from this folder with numpy installed:  python3 make_fixtures.py
The files are tiny on purpose; the tests assert the exact values written here.
"""
import numpy as np

SIGNED = [[-5, 0], [1, 100]]
UNSIGNED = [[0, 1], [2, 100]]
FLOATS = [[-1.5, 0.25], [1.0, 100.0]]

# Every supported dtype, in one archive written by np.savez (stored entries).
np.savez(
    "dtypes.npz",
    f2=np.array(FLOATS, dtype=np.float16),
    f4=np.array(FLOATS, dtype=np.float32),
    f8=np.array(FLOATS, dtype=np.float64),
    i1=np.array(SIGNED, dtype=np.int8),
    i2=np.array(SIGNED, dtype=np.int16),
    i4=np.array(SIGNED, dtype=np.int32),
    i8=np.array(SIGNED, dtype=np.int64),
    u1=np.array(UNSIGNED, dtype=np.uint8),
    u2=np.array(UNSIGNED, dtype=np.uint16),
    u4=np.array(UNSIGNED, dtype=np.uint32),
    u8=np.array(UNSIGNED, dtype=np.uint64),
    b1=np.array([[True, False], [False, True]]),
)

# A calibration-shaped set: 5 samples of 4 features plus int64 labels, stored and deflated.
x = (np.arange(20, dtype=np.float32).reshape(5, 4) - 10) / 4
labels = np.array([0, 1, 2, 1, 0], dtype=np.int64)
np.savez("calib_stored.npz", x=x, labels=labels)
np.savez_compressed("calib_deflated.npz", x=x, labels=labels)

np.save("matrix_f32.npy", x)
np.save("big_endian_f8.npy", np.arange(6, dtype=">f8").reshape(2, 3) / 2)
np.save("big_endian_i4.npy", np.array([[-70000, 1, 2], [3, 4, 70000]], dtype=">i4"))
np.save("empty_rows.npy", np.zeros((0, 3), dtype=np.float32))
np.save("scalar.npy", np.array(3.5, dtype=np.float64))
np.save("labels_float.npy", np.array([0.0, 1.0, 2.5], dtype=np.float64))
with open("version2.npy", "wb") as f:
    np.lib.format.write_array(f, x, version=(2, 0))
with open("version3.npy", "wb") as f:
    np.lib.format.write_array(f, x, version=(3, 0))

# Files that must be refused.
np.save("fortran_order.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save("complex.npy", np.array([1 + 2j], dtype=np.complex64))
np.save("strings.npy", np.array(["ab", "c"]))

# np.savetxt writes its header as a '#' comment line.
np.savetxt("savetxt.csv", x, delimiter=",", header="f0,f1,f2,f3")
