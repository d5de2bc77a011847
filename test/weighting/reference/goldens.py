"""Independent numpy/scipy reference values for the golden tests in test/weighting (run: python3 goldens.py).
Each method is written from its definition (primal problems, defining equations, or the authors' loops),
not from the TypeScript code."""
import numpy as np, itertools
from scipy.optimize import minimize, least_squares, brentq
np.set_printoptions(precision=12)
cases = {
 'C2': [[1,0],[-0.5,1]],
 'A2': [[2,0],[1,1]],
 'Z2': [[1,2],[0,0]],
 'I2': [[1,1],[1,1]],
 'H2': [[1000,0],[-0.001,0.001]],
 'O2': [[1,0],[0,2]],
 'T3': [[1,0,0],[-0.5,1,0],[0.2,-0.3,1]],
}
G = {k: np.array(v, float) for k,v in cases.items()}
def p(name, x): print(name, '[' + ', '.join(repr(float(v)) for v in np.atleast_1d(x)) + ']')

# ---- CAGrad: primal max_d min_i g_i.d s.t. ||d-g0|| <= c||g0||, solved by SLSQP on (d, t); weights from G^T w = d/(1+c^2).
def cagrad(g, c=0.4):
    T, n = g.shape
    g0 = g.mean(0); r = c*np.linalg.norm(g0)
    x0 = np.concatenate([g0, [0.0]])
    cons = [{'type':'ineq','fun': (lambda x, i=i: g[i]@x[:n]-x[n])} for i in range(T)]
    cons.append({'type':'ineq','fun': lambda x: r*r - np.sum((x[:n]-g0)**2)})
    res = minimize(lambda x: -x[n], x0, constraints=cons, method='SLSQP', options={'ftol':1e-15,'maxiter':1000})
    d = res.x[:n] / (1+c*c)
    w, *_ = np.linalg.lstsq(g.T, d, rcond=None)
    return w
for k in ['C2','O2','T3','A2']:
    p('cagrad '+k, cagrad(G[k]))

# ---- Nash-MTL: M a = 1/a.
def power(g, pw):
    M = g@g.T
    res = least_squares(lambda a: (M@a - a**(-pw)) / a**(-pw), np.ones(len(M)), bounds=(1e-12, np.inf), xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return res.x
for k in ['C2','O2','T3','H2']:
    p('nash '+k, power(G[k], 1))
for k in ['C2','T3']:
    p('fairgrad2 '+k, power(G[k], 0.5))
M = G['C2']@G['C2'].T
p('nash-normalized C2', least_squares(lambda a: (M/np.linalg.norm(M))@a - 1/a, np.ones(2), bounds=(1e-12,np.inf), xtol=1e-15, ftol=1e-15, gtol=1e-15).x)

# ---- Aligned-MTL via eigh.
def aligned(g, eps=1.1920929e-07):
    M = g@g.T
    lam, V = np.linalg.eigh(M)
    order = np.argsort(-lam); lam, V = lam[order], V[:, order]
    tol = lam.max()*len(M)*eps
    keep = lam > tol
    lam, V = lam[keep], V[:, keep]
    B = np.sqrt(lam[-1]) * V @ np.diag(1/np.sqrt(lam)) @ V.T
    return B.sum(0)
for k in ['C2','O2','T3','H2','A2']:
    p('aligned '+k, aligned(G[k]))

# ---- UPGrad: enumerate active sets of min v^T Q v s.t. v >= u (Q positive definite): the unique KKT point.
def boxqp(Q, u):
    n = len(u)
    for mask in itertools.product([0,1], repeat=n):
        A = [i for i in range(n) if mask[i]]; F = [i for i in range(n) if not mask[i]]
        v = u.copy()
        if F:
            v[F] = np.linalg.solve(Q[np.ix_(F,F)], -Q[np.ix_(F,A)]@u[A]) if A else np.zeros(len(F))
        g = Q@v
        if np.all(v >= u-1e-13) and np.all(g[A] >= -1e-13) and np.all(np.abs(g[F]) < 1e-12):
            return v
    raise Exception('none')
def upgrad(g, reg=1e-4, ne=1e-4):
    M = g@g.T; tr = np.trace(M)
    Q = (np.zeros_like(M) if tr < ne else M/tr) + reg*np.eye(len(M))
    T = len(M)
    return sum(boxqp(Q, np.eye(T)[i]/T) for i in range(T))
for k in ['C2','T3','H2','A2','Z2']:
    p('upgrad '+k, upgrad(G[k]))
p('upgrad-noreg C2', upgrad(G['C2'], reg=0))

# ---- MGDA two-task closed form from the definition (min over gamma in [0,1] of ||gamma g1 + (1-gamma) g2||^2) with normalisers.
def mgda2(g, n):
    h = g / np.array(n)[:, None]
    a, b = h
    gamma = np.clip(((b-a)@b) / ((a-b)@(a-b)), 0, 1)
    alpha = np.array([gamma, 1-gamma])
    return alpha, alpha/np.array(n)
g = G['C2']; L = np.array([1., 2.]); nrm = np.linalg.norm(g, axis=1)
for name, n in [('none', [1,1]), ('l2', nrm), ('loss', L), ('loss+', L*nrm)]:
    a, w = mgda2(g, n); p('mgda C2 '+name+' alpha', a); p('mgda C2 '+name+' mapped', w)
p('mgda H2 none', mgda2(G['H2'], [1,1])[0])
# MGDA T3 exact by SLSQP on the simplex
M = G['T3']@G['T3'].T
res = minimize(lambda a: a@M@a, np.ones(3)/3, constraints=[{'type':'eq','fun':lambda a: a.sum()-1}], bounds=[(0,1)]*3, method='SLSQP', options={'ftol':1e-16,'maxiter':1000})
p('mgda T3 exact', res.x)

# ---- IMTL-G from the definition on vectors: d = sum a_t g_t, sum a = 1, d.u_1 = d.u_t.
def imtlg(g):
    u = g/np.linalg.norm(g, axis=1, keepdims=True)
    T = len(g)
    A = np.zeros((T,T)); b = np.zeros(T)
    A[0,:] = 1; b[0] = 1
    for t in range(1,T):
        A[t,:] = g @ (u[0]-u[t])
    return np.linalg.solve(A, b)
for k in ['C2','T3','A2','H2']:
    p('imtlg '+k, imtlg(G[k]))

# ---- SDMGrad exact: min over simplex of 1/2 w^T Mh w + lam w^T Mh 1/T, Mh = M/s^2, s = mean sqrt(diag+1e-4).
def sdm_exact(g, lam=0.3):
    M = g@g.T; T = len(M)
    s = np.mean(np.sqrt(np.diag(M)+1e-4)); Mh = M/s**2
    f = lambda w: 0.5*w@Mh@w + lam*w@Mh@np.ones(T)/T
    res = minimize(f, np.ones(T)/T, constraints=[{'type':'eq','fun':lambda a: a.sum()-1}], bounds=[(0,1)]*T, method='SLSQP', options={'ftol':1e-16,'maxiter':1000})
    return (res.x + lam/T)/(1+lam)
def proj(v):
    u = np.sort(v)[::-1]; css = np.cumsum(u); rho = np.nonzero(u*np.arange(1,len(v)+1) > css-1)[0][-1]
    return np.maximum(v - (css[rho]-1)/(rho+1), 0)
def sdm_sgd(g, lam=0.3, lr=10, mom=0.5, iters=20, w=None):
    M = g@g.T; T = len(M)
    s = np.mean(np.sqrt(np.diag(M)+1e-4)); Mh = M/s**2
    w = np.ones(T)/T if w is None else w
    buf = None
    for _ in range(iters):
        grad = Mh@w + lam*Mh@np.ones(T)/T
        buf = grad if buf is None else mom*buf + grad
        w = proj(w - lr*buf)
    return w, (w + lam/T)/(1+lam)
for k in ['C2','T3']:
    p('sdm exact '+k, sdm_exact(G[k]))
    w1, out1 = sdm_sgd(G[k]); p('sdm sgd1 '+k, out1)
    w2, out2 = sdm_sgd(G[k], w=w1); p('sdm sgd2 '+k, out2)

# ---- second batch
g = np.array([[1,0],[-0.5,1]], float)
# GradVac, T = 2, vectors, two steps, beta 0.5, targets init 0, EMA every pair.
targets = np.zeros((2,2))
for step in range(2):
    pc = g.copy(); weights = np.ones(2)
    for i in range(2):
        for j in [k for k in range(2) if k != i]:
            phi = pc[i]@g[j]/(np.linalg.norm(pc[i])*np.linalg.norm(g[j])+1e-8)
            th = targets[i,j]
            if phi < th:
                w = np.linalg.norm(pc[i])*(th*np.sqrt(1-phi**2)-phi*np.sqrt(1-th**2))/(np.linalg.norm(g[j])*np.sqrt(1-th**2)+1e-8)
                pc[i] = pc[i] + w*g[j]; weights[j] += w
            targets[i,j] = 0.5*th + 0.5*phi
    p('gradvac step%d weights' % (step+1), weights)
    p('gradvac step%d targets' % (step+1), targets.flatten())
    d = pc.sum(0)
    # cos after adjustment of pc[0] with g[1]
    print('  cos(pc0,g1)', pc[0]@g[1]/np.linalg.norm(pc[0])/np.linalg.norm(g[1]))
# DB-MTL two steps, losses (1, 2), beta 0.9.
L = np.array([1.,2.]); buf = np.zeros((2,2))
for step in range(2):
    gl = g/(L[:,None]+1e-8)
    buf = gl + 0.9*(buf-gl)
    n = np.linalg.norm(buf, axis=1); a = n.max()/(n+1e-8)
    p('dbmtl step%d alpha' % (step+1), a); p('dbmtl step%d direction' % (step+1), a@buf)
# MoCo two steps, losses (1, 2), defaults: beta .5 sigma .5, gamma .1 sigma .5, rho 0, projection.
def proj(v):
    u = np.sort(v)[::-1]; css = np.cumsum(u); rho = np.nonzero(u*np.arange(1,len(v)+1) > css-1)[0][-1]
    return np.maximum(v - (css[rho]-1)/(rho+1), 0)
y = np.zeros((2,2)); lam = np.ones(2)/2
for k in range(1,3):
    gh = g/(np.linalg.norm(g,axis=1,keepdims=True)+1e-8)*L[:,None]
    y = y - 0.5/k**0.5*(y-gh)
    lam = proj(lam - 0.1/k**0.5*(y@y.T)@lam)
    p('moco step%d lambda' % k, lam); p('moco step%d direction' % k, y.T@lam)
# ExcessMTL two steps on T3-like gradients, step size 0.01.
g3 = np.array([[1,0,0],[-0.5,1,0],[0.2,-0.3,1]], float)
acc = np.zeros_like(g3); w = np.ones(3); init = None
for step in range(3):
    acc = acc + g3**2
    e = np.array([np.sum(g3[i]**2/np.sqrt(acc[i]+1e-7)) for i in range(3)])
    if init is None: init = e
    else:
        w = w*np.exp(0.01*e/init); w = w/w.sum()*3
    p('excess step%d weights' % (step+1), w)

# ---- ExcessMTL with changing gradients
g3 = np.array([[1,0,0],[-0.5,1,0],[0.2,-0.3,1]], float)
g3b = g3 * np.array([[4],[1],[0.5]])
acc = np.zeros_like(g3); w = np.ones(3); init = None
for step, g in enumerate([g3, g3b]):
    acc = acc + g**2
    e = np.array([np.sum(g[i]**2/np.sqrt(acc[i]+1e-7)) for i in range(3)])
    if init is None: init = e
    else:
        w = w*np.exp(0.01*e/init); w = w/w.sum()*3
    p('excess step%d e' % (step+1), e); p('excess step%d weights' % (step+1), w)
