OPENQASM 2.0;
include "qelib1.inc";
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[4];
ecr q[2],q[1];
t q[0];
dcx q[1],q[3];
csx q[0],q[2];
cswap q[1],q[0],q[3];
ccz q[1],q[2],q[0];
cy q[2],q[0];
csx q[1],q[3];
crz(0.8035990861104916) q[1],q[2];
z q[3];
ccx q[0],q[2],q[1];
u3(5.617248900272916,4.47594812781177,0.45523073221390453) q[3];
ccz q[0],q[2],q[1];
y q[3];
ccx q[2],q[1],q[0];
ch q[1],q[0];
cu(4.6280639494828035,0.9177292794884276,5.6963550873826545,5.966633436105815) q[2],q[3];
rzx(0.8002743868131426) q[0],q[2];
crz(5.42716292944178) q[1],q[3];
swap q[2],q[0];
csdg q[1],q[3];