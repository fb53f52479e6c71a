OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
qreg q[3];
cp(3.1288140176795003) q[2],q[1];
u2(0.17692639553214443,0.9566904234385089) q[0];
h q[2];
swap q[1],q[0];
ccx q[2],q[0],q[1];
sx q[1];
cu1(6.202622827514642) q[2],q[0];
rccx q[1],q[2],q[0];
ccx q[1],q[2],q[0];
ccz q[0],q[1],q[2];
rzx(3.8704312338271696) q[2],q[0];
ccz q[1],q[2],q[0];
ccx q[0],q[2],q[1];
cry(0.39584578584238794) q[0],q[1];
cswap q[2],q[1],q[0];