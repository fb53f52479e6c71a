//! The NumPy argument types of the module: arrays are read in place when their dtype and
//! layout allow, and converted (copied) otherwise, so lists and integer arrays work too.

use num_complex::Complex64;
use numpy::{AllowTypeChange, PyArrayLike1, PyArrayLike2};

/// A real vector from Python: a `float64` array, or any sequence of numbers.
pub type Vector<'py> = PyArrayLike1<'py, f64, AllowTypeChange>;

/// Amplitudes from Python: a `complex128` array, or anything NumPy converts to one.
pub type Amplitudes<'py> = PyArrayLike1<'py, Complex64, AllowTypeChange>;

/// A complex matrix from Python: a `complex128` 2-D array, or anything NumPy converts to one.
pub type ComplexMatrix<'py> = PyArrayLike2<'py, Complex64, AllowTypeChange>;
