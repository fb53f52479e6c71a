//! The classical side of the hybrid model: MNIST data, small networks, FID and the decoder.
//!
//! This crate depends on nothing else of ours. It will hold the IDX loader, dense networks on
//! nalgebra trained with Adam, the MNIST classifier whose penultimate layer defines our FID, and
//! the decoder from measurement statistics to pixels. See DESIGN.md sections 7 and 8.
//!
//! Status: not implemented yet (issue 6). The crate holds no functionality today.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
