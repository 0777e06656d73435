# 简体中文:所有格(@小黑的尾巴)、助词(@妈妈说)、对白与旁白;标签让英文名字读成中文。
storyboard "雨天的巷口"
model wan2.7-t2v
resolution 720P
ratio 9:16
language zh-Hans
prompt-extend off
watermark off
seed 20261203

cast 小明: 一个十岁的男孩,穿着黄色雨衣,背着蓝色书包
cast dog "小黑": 一只黑色的小狗,耳朵耷拉着
cast mom "妈妈": 一位系着围裙的中年女人
place lane "巷口": 下着小雨的老街巷口,青石板路泛着水光

clip after-school 10s
  shot 3s 远景
    @lane 细雨蒙蒙,@小明 撑着伞走来。
  shot 4s 全景
    @dog的尾巴摇个不停,它扑向@小明。
    say 小明: 小黑,你等我很久了吗?
  shot 3s 近景
    @mom说晚饭已经做好了,@小明 牵着@dog 跑回家。
    voiceover 小明: 那天的雨,我一直记得。
