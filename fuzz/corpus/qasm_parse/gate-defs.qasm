OPENQASM 2.0;
include "qelib1.inc";
gate g(a,b) x,y { u3(a*sin(b)/2, -pi^2, ln(2)+sqrt(3)) x; cx x,y; barrier x,y; }
opaque op(t) q;
qreg q[3]; qreg r[3]; creg c[3];
g(0.5,.25e1) q[0], r[1];
h q; cx q, r; ryy(pi/4) q[1], q[2]; rzx(1) q[0], r[0];
measure q -> c; reset r[2];
