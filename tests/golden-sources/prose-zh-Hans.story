# 简体中文:没有句号的行,以及一个带逗号的描述。
model wan2.7-t2v
language zh-Hans
cast fox "狐狸": 一只红色的狐狸,穿着风衣。
clip dawn 5s
  @fox 站在门口
  @fox 推门走进茶馆
  ambience: 茶馆里的低语
