OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
qreg q[3];
ccz q[2],q[0],q[1];
rzx(1.0156914334839218) q[2],q[1];
id q[0];
ecr q[2],q[0];
xx_minus_yy(1.9798046473809585,5.197971714586245) q[1],q[2];
ccz q[0],q[2],q[1];
u(0.6367685497136075,2.172732913905674,4.383693718777136) q[1];
cswap q[0],q[2],q[1];
rccx q[1],q[0],q[2];
cu3(3.9346294968853597,4.471736417204898,2.635435971124801) q[1],q[2];
cy q[1],q[0];
u1(0.7345219435673853) q[2];
cu(4.540907397766538,5.6566990495211025,0.3447780406765092,0.8032104726165098) q[2],q[0];
ccx q[2],q[1],q[0];