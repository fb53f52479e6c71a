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

/// The elements of a 1-D array argument: borrowed in place when it is contiguous, copied
/// otherwise (a strided view such as `matrix[:, 0]`).
pub fn elements<'a, T: numpy::Element + Copy>(
    array: &'a PyArrayLike1<'_, T, AllowTypeChange>,
) -> std::borrow::Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => std::borrow::Cow::Borrowed(slice),
        Err(_) => std::borrow::Cow::Owned(array.as_array().iter().copied().collect()),
    }
}
