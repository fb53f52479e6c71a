OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
qreg q[3];
ccz q[2],q[0],q[1];
rx(3.3610001191548236) q[0];
x q[2];
ccx q[1],q[0],q[2];
rccx q[2],q[1],q[0];
cswap q[2],q[1],q[0];
cswap q[2],q[1],q[0];
ccz q[0],q[1],q[2];
cswap q[1],q[2],q[0];
cswap q[2],q[0],q[1];
ccx q[2],q[1],q[0];
ccx q[2],q[1],q[0];
sx q[1];
dcx q[2],q[0];