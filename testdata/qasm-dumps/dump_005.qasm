OPENQASM 2.0;
include "qelib1.inc";
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
qreg q[6];
xx_plus_yy(5.9350467516108125,1.0718329944077847) q[5],q[4];
iswap q[3],q[2];
t q[1];
cz q[2],q[1];
ccz q[0],q[5],q[4];
cx q[2],q[0];
ccx q[3],q[5],q[4];
cu3(5.171300642691152,0.8873358712592528,0.669960449096028) q[3],q[4];
ryy(2.4410809263872992) q[1],q[0];
swap q[2],q[5];
cu3(0.7597606675160798,2.9743330835836956,0.4632320625434292) q[2],q[3];
csx q[4],q[5];
cry(0.24224967045119813) q[1],q[0];
ccz q[4],q[3],q[1];
rccx q[2],q[5],q[0];
crz(2.4735406285442445) q[0],q[5];
rzz(3.913355197629547) q[3],q[1];
cy q[4],q[2];
cswap q[0],q[1],q[5];
iswap q[2],q[4];
cx q[4],q[1];
ryy(2.0870302329453985) q[5],q[3];
rzx(1.0089232063808093) q[0],q[2];
ccz q[5],q[2],q[0];
cx q[4],q[3];
cy q[0],q[1];
cz q[2],q[3];
cp(0.44453711420665604) q[5],q[4];
xx_plus_yy(1.62253275876903,4.327952702544115) q[1],q[4];
ccx q[2],q[3],q[5];
rz(2.7350987319506297) q[0];