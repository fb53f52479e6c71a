OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
qreg q[4];
rccx q[3],q[1],q[0];
s q[2];
cswap q[0],q[3],q[2];
ccz q[3],q[0],q[2];
rccx q[2],q[1],q[0];
cz q[2],q[1];
crx(4.916870333781453) q[3],q[0];
csdg q[0],q[3];
cu1(0.8373908047722486) q[2],q[1];
cz q[2],q[3];
cswap q[2],q[0],q[1];
cx q[2],q[0];
rzx(4.206112063402831) q[0],q[3];
cp(4.098772660342714) q[2],q[1];
ccz q[1],q[0],q[3];
ccz q[3],q[0],q[1];