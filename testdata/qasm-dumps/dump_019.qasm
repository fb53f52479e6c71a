OPENQASM 2.0;
include "qelib1.inc";
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
qreg q[6];
ccx q[0],q[2],q[3];
ry(3.203575414298816) q[1];
rzx(4.237158153650341) q[4],q[5];
ccz q[3],q[5],q[4];
r(6.145749788619489,6.064874694383849) q[0];
dcx q[2],q[1];
ecr q[1],q[5];
rccx q[0],q[2],q[4];
s q[3];
iswap q[1],q[3];
crz(3.5688018218048585) q[0],q[2];
h q[5];
u(0.41476298488863816,3.327161956933599,3.9496462229580063) q[4];
xx_minus_yy(2.0602739897081874,4.747622466102128) q[3],q[0];
rccx q[1],q[5],q[4];
p(4.979267197834223) q[2];
sx q[0];
iswap q[1],q[2];
u2(3.056197079027648,5.148976790034635) q[3];
u(2.768655780322176,1.7335091313857958,3.9157920421931642) q[5];
id q[4];
cu1(4.273931224077034) q[2],q[4];
cry(3.7546529850017376) q[0],q[3];
u(5.299716558530497,2.6271814276026237,6.202630278438377) q[1];
y q[5];
z q[3];
cswap q[4],q[5],q[0];
y q[2];
x q[1];
rxx(0.965230442178492) q[1],q[3];
cs q[5],q[4];
u3(3.492576489088298,3.155689124358087,2.0838694498968087) q[0];
sxdg q[2];
ecr q[0],q[4];
ccx q[5],q[2],q[1];
sx q[3];
crx(4.813949704609717) q[2],q[1];
rx(1.1047750013829438) q[4];
x q[0];
ryy(3.6024106941577854) q[5],q[3];
rx(2.9126402038734067) q[0];
r(2.6467002768855097,0.5628403709782015) q[4];
rccx q[3],q[2],q[5];
ry(5.5396218766660414) q[1];