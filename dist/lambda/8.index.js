export const id=8;export const ids=[8];export const modules={4008:(o,s,t)=>{t.d(s,{fromEnv:()=>r.sF});var r=t(3099)}};
//# sourceMappingURL=8.index.js.map