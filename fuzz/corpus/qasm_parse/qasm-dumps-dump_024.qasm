OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[4];
rccx q[1],q[0],q[3];
rx(4.281898013179266) q[2];
ccz q[0],q[2],q[1];
cswap q[1],q[0],q[2];
ccz q[3],q[1],q[0];
id q[2];
ryy(2.9480594963506923) q[1],q[3];
y q[2];
r(3.582293095130964,4.2660559917145155) q[0];
ccz q[2],q[1],q[3];
tdg q[0];
u3(2.1615057452331743,0.6287893952340216,4.15986396325853) q[2];
csdg q[1],q[3];
rzz(5.384994971117384) q[3],q[2];
z q[0];
u(3.219066051584881,1.204428886253597,0.7374870116026364) q[1];
rccx q[1],q[3],q[2];
rccx q[2],q[1],q[3];
id q[0];
ccz q[1],q[3],q[0];
ccz q[2],q[3],q[1];