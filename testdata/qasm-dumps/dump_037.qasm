OPENQASM 2.0;
include "qelib1.inc";
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
qreg q[3];
csx q[0],q[2];
p(5.328608900309045) q[1];
z q[0];
crz(5.771266398682968) q[1],q[2];
cy q[0],q[2];
csdg q[0],q[1];
x q[1];
csdg q[0],q[2];
xx_plus_yy(0.4902366853405702,6.197851326404399) q[2],q[0];
iswap q[1],q[0];
rz(2.79160069303226) q[2];
cx q[1],q[2];
y q[0];
cswap q[0],q[1],q[2];
rz(2.190617011346135) q[2];
rzz(4.7735390538117235) q[0],q[1];
ch q[0],q[1];
p(2.7926530997568086) q[2];