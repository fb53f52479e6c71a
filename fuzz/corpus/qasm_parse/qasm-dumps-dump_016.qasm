OPENQASM 2.0;
include "qelib1.inc";
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
qreg q[3];
swap q[1],q[0];
t q[2];
ccx q[1],q[2],q[0];
cswap q[0],q[1],q[2];
cs q[0],q[1];
cswap q[1],q[2],q[0];
cz q[2],q[1];
cu(5.39221166584987,4.436361289768604,5.16475456654974,5.717306647694865) q[2],q[1];
cy q[0],q[2];
rccx q[2],q[1],q[0];
ccx q[2],q[1],q[0];
cswap q[2],q[1],q[0];
cy q[1],q[2];
tdg q[0];