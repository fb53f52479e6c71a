OPENQASM 2.0;
include "qelib1.inc";
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
qreg q[7];
dcx q[4],q[0];
ecr q[2],q[5];
crx(4.849774004822035) q[3],q[1];
s q[6];
cy q[1],q[0];
ccz q[6],q[2],q[3];
tdg q[5];
ccx q[6],q[5],q[2];
y q[4];
xx_plus_yy(1.9424631644808832,1.5858827950270404) q[0],q[1];
xx_plus_yy(4.2546917790867145,3.989692222703766) q[1],q[4];
cy q[6],q[0];
crz(1.8160412931771917) q[5],q[3];
csdg q[2],q[5];
rzx(1.7219368210087524) q[0],q[1];
r(0.989416096341655,4.4637759999609) q[4];
u2(3.494647705012484,1.2347061036684086) q[6];
cry(0.07475089487773254) q[6],q[2];
u3(5.410510961689369,5.125605243769306,0.4194327597798806) q[4];
rzx(2.732494627545474) q[3],q[0];
cu(2.5390206394084935,2.6292234191846697,0.32280744236372394,2.3126623303242426) q[1],q[5];
csx q[3],q[1];
rxx(6.280648287377007) q[2],q[5];
h q[0];
z q[6];
cp(0.690721668934599) q[5],q[0];
cz q[1],q[2];
sxdg q[4];
xx_plus_yy(5.25446830269154,1.6128371290769161) q[3],q[6];
cu3(3.2957742693636147,1.7261089509849399,1.9955322604366688) q[0],q[3];
cz q[4],q[5];
cp(1.1886623403406407) q[6],q[1];
u2(4.822644613411062,4.344866081549915) q[2];
rxx(6.0328657007193875) q[6],q[3];
ryy(3.2043433548029348) q[5],q[2];
ccx q[0],q[1],q[4];
sdg q[5];
cy q[4],q[6];
xx_minus_yy(4.008431967516024,4.046878679632736) q[3],q[1];
u2(5.9420284487278305,1.0699261608601536) q[2];
ccx q[5],q[4],q[2];
z q[3];
x q[0];
swap q[6],q[1];