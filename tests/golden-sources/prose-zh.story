# 中文:沒有句號的行,以及一個帶逗號的描述。
model wan2.7-t2v
language zh
cast fox: 一隻紅色的狐狸,穿著風衣
place square: 清晨空無一人的小鎮廣場
clip dawn 10s
  安靜的早晨
  shot 3s wide
    @square 薄霧散開
  shot 7s medium
    @fox 慢慢穿過廣場
    他停下腳步,抬頭望向窗口
    sfx: 遠處的鐘聲
