OPENQASM 2.0;
include "qelib1.inc";
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[2];
ryy(3.230235783652045) q[1],q[0];
xx_plus_yy(0.8694504675129049,4.721027554479654) q[0],q[1];
cu1(5.4122893858493955) q[1],q[0];
cp(4.745131940154144) q[0],q[1];
cp(4.845538087260047) q[0],q[1];
ecr q[1],q[0];
csdg q[0],q[1];
xx_plus_yy(3.4670445978046596,3.477138368225097) q[0],q[1];
rzz(4.089559998918675) q[1],q[0];
cp(5.444965238237678) q[0],q[1];
cz q[0],q[1];
cu1(3.4226409084091047) q[1],q[0];