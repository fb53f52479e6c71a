OPENQASM 2.0;
include "qelib1.inc";
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[2];
z q[0];
x q[1];
r(4.35968896838121,1.9635887850115266) q[1];
sdg q[0];
s q[0];
rx(0.8051114489298524) q[1];
crx(4.311687301275571) q[1],q[0];
y q[1];
r(5.147082891883023,5.299159623939653) q[0];
p(5.617850172988174) q[0];
z q[1];
csdg q[0],q[1];
s q[1];
z q[1];
swap q[0],q[1];
rx(5.049952970747665) q[1];
cx q[0],q[1];