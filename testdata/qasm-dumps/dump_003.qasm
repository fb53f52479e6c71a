OPENQASM 2.0;
include "qelib1.inc";
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
qreg q[4];
cswap q[2],q[3],q[0];
t q[1];
crz(2.447462271319465) q[3],q[2];
ch q[0],q[1];
iswap q[1],q[0];
u2(3.18323589833214,0.8484865041458893) q[3];
ccz q[1],q[2],q[0];
ryy(5.850880664932283) q[3],q[1];
iswap q[2],q[0];
ccx q[2],q[0],q[3];
cz q[0],q[3];
cswap q[1],q[3],q[0];
rccx q[1],q[3],q[0];
ry(6.109511151571111) q[2];
cswap q[0],q[2],q[3];
ccz q[2],q[3],q[0];
p(0.9518692437601429) q[1];
ccx q[2],q[0],q[3];