OPENQASM 2.0;
include "qelib1.inc";
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
qreg q[2];
crx(1.6952714807236653) q[1],q[0];
h q[0];
cu3(3.403427472160615,3.3016894650143116,4.268464579170126) q[0],q[1];
x q[0];
u2(3.1857679022014445,0.19229529095299178) q[1];
cp(1.2217135184733976) q[0],q[1];
t q[0];
z q[1];
iswap q[0],q[1];
r(4.03439242811765,4.500369190635167) q[0];
sdg q[0];
u2(4.467205607757011,4.521444660948154) q[1];
crz(4.488934109319381) q[0],q[1];
xx_minus_yy(2.969219277637353,3.6699417993353065) q[0],q[1];