//! `qsim-mpi`: placeholder
