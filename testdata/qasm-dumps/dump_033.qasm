OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[6];
ccx q[2],q[1],q[5];
ccx q[4],q[3],q[0];
y q[2];
x q[0];
ccx q[4],q[1],q[5];
rx(5.682199507089993) q[3];
cswap q[1],q[4],q[5];
ccx q[3],q[2],q[0];
u2(4.166135844662987,3.99546063899322) q[1];
h q[5];
ccz q[3],q[2],q[4];
rz(3.813632098867613) q[1];
ccx q[2],q[3],q[4];
sx q[5];
cswap q[0],q[1],q[3];
sdg q[4];
u3(6.236535954838404,1.323831217618181,5.341028447101245) q[5];
sdg q[2];
ccx q[5],q[1],q[3];
u(5.982034652623442,5.7686130635408475,3.5401796223389677) q[0];
sxdg q[4];
t q[5];
r(3.4383909176963567,2.0283783952842067) q[0];
h q[1];
xx_plus_yy(5.825842441785992,4.195266781579883) q[2],q[3];
rx(0.5762521959864938) q[4];
ccx q[3],q[0],q[4];
rx(5.261491227230408) q[5];
cu(0.2952035054032091,1.422697116468178,2.2562825838720104,1.61487846819396) q[2],q[1];
rxx(1.6223785781012499) q[3],q[1];
y q[0];
z q[4];
r(5.657687762567356,0.4297840198306706) q[5];
csdg q[4],q[0];
cswap q[5],q[3],q[2];
rccx q[3],q[1],q[0];
cswap q[5],q[4],q[2];