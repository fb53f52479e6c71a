OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
qreg q[5];
ccz q[4],q[3],q[0];
cz q[2],q[1];
cswap q[3],q[1],q[4];
dcx q[0],q[2];
rccx q[1],q[0],q[4];
xx_plus_yy(2.413195255622839,2.4589713082806934) q[2],q[3];
cz q[4],q[3];
cp(1.3612817075793464) q[0],q[1];
tdg q[2];
cswap q[0],q[3],q[1];
cz q[2],q[4];
ecr q[0],q[2];
ccz q[1],q[4],q[3];
cs q[4],q[2];
ccx q[1],q[0],q[3];
crz(5.298963683559222) q[1],q[3];
dcx q[0],q[4];
cswap q[2],q[1],q[3];
xx_minus_yy(1.57696120992917,0.7938912148654296) q[0],q[4];
ccz q[1],q[2],q[3];
rccx q[2],q[4],q[3];
crz(5.622518146742371) q[0],q[1];
cswap q[0],q[1],q[4];
rzz(3.366356372542675) q[3],q[2];