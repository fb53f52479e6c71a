OPENQASM 2.0;
include "qelib1.inc";
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
qreg q[5];
t q[4];
u2(6.200129017464356,3.245665248591655) q[1];
cu(0.19466336287788658,2.316829068485835,3.0742081305232816,4.217332320255922) q[0],q[3];
cp(4.5978069078004395) q[0],q[4];
cx q[2],q[1];
csx q[4],q[3];
rzx(1.018010122042481) q[1],q[2];
ry(2.1254845797724258) q[0];
cry(3.110333774936028) q[2],q[1];
csdg q[0],q[4];
rxx(2.777430540163122) q[3],q[2];
dcx q[4],q[1];
sx q[0];
swap q[0],q[1];
dcx q[3],q[4];
tdg q[2];
cx q[1],q[0];
cx q[3],q[2];
crx(4.984859515306426) q[3],q[2];
rzx(0.7143298300257027) q[0],q[4];
id q[1];
csx q[3],q[4];
csx q[0],q[1];
cu1(1.6711356984618257) q[1],q[3];
xx_plus_yy(3.5875433599071016,0.32595161679312895) q[4],q[0];
xx_minus_yy(1.9961967741421816,3.076129012768957) q[1],q[4];
xx_minus_yy(2.0509009116435344,4.320801865763131) q[0],q[3];
cs q[1],q[3];
rzz(1.4537545815808384) q[4],q[2];