OPENQASM 2.0;
include "qelib1.inc";
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
qreg q[2];
t q[0];
xx_plus_yy(0.14285839861348468,1.6927648687261718) q[0],q[1];
cx q[0],q[1];
ch q[1],q[0];
cp(2.600667107694341) q[0],q[1];
u(4.545932691914642,4.4652283716631995,1.593852785287835) q[1];
p(2.263892338952211) q[0];
t q[1];
x q[0];
z q[0];
u(2.040255133345483,5.803712724548308,0.7130868970382768) q[1];
ecr q[1],q[0];
x q[1];
u3(0.2155821794212363,5.073192673194555,1.1620771996220083) q[0];
h q[1];
x q[0];
sxdg q[1];