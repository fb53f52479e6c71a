OPENQASM 2.0;
include "qelib1.inc";
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
qreg q[2];
sx q[0];
p(2.3155735440967087) q[1];
y q[1];
ry(5.172678551722749) q[0];
r(5.470960274631772,1.2748472378716353) q[1];
id q[0];
h q[1];
xx_plus_yy(2.3855188802238185,6.033481524808469) q[0],q[1];
iswap q[0],q[1];
u1(5.417487543472653) q[0];
sdg q[1];
cu(4.441951072951952,0.8352753321673492,5.096896597745236,0.17905034445472023) q[1],q[0];
cu1(1.7519705056449277) q[1],q[0];
p(0.7021314829464684) q[0];
cu1(2.207304298528381) q[1],q[0];
s q[0];
tdg q[1];