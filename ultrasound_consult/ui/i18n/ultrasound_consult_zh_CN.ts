<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Show or hide the second camera&apos;s picture</source>
        <translation>显示或隐藏第二摄像头的画面</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>录制</translation>
    </message>
    <message>
        <source>Record this session for teaching and review; everyone sees that you do (Ctrl+R)</source>
        <translation>录制本次会诊用于教学和质控；所有参与者都会看到录制提示（Ctrl+R）</translation>
    </message>
    <message>
        <source>No microphone in this call</source>
        <translation>本次通话没有麦克风</translation>
    </message>
    <message>
        <source>Reconnecting to the server… The video continues.</source>
        <translation>正在重新连接服务器… 视频仍在继续。</translation>
    </message>
    <message>
        <source>Not calibrated</source>
        <translation>未校准</translation>
    </message>
    <message>
        <source>Measurements show pixels. Calibrate on the depth scale (K).</source>
        <translation>测量值以像素显示。请在深度标尺上校准（K）。</translation>
    </message>
    <message>
        <source>from the scanner</source>
        <translation>来自超声设备</translation>
    </message>
    <message>
        <source>calibrated by {name}</source>
        <translation>由 {name} 校准</translation>
    </message>
    <message>
        <source>test picture</source>
        <translation>测试图像</translation>
    </message>
    <message>
        <source>Scale {mm:.3f} mm/px</source>
        <translation>比例 {mm:.3f} 毫米/像素</translation>
    </message>
    <message>
        <source>RTT {ms:.0f} ms</source>
        <translation>往返 {ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>loss {pct:.1f}%</source>
        <translation>丢包 {pct:.1f}%</translation>
    </message>
    <message>
        <source>{mbps:.1f} Mbit/s</source>
        <translation>{mbps:.1f} Mbit/s</translation>
    </message>
    <message>
        <source>REC: {names}</source>
        <translation>录制中：{names}</translation>
    </message>
    <message>
        <source>Stop recording</source>
        <translation>停止录制</translation>
    </message>
    <message>
        <source>No microphone</source>
        <translation>无麦克风</translation>
    </message>
    <message>
        <source>Muted — click to talk</source>
        <translation>已静音 — 点击说话</translation>
    </message>
    <message>
        <source>The others cannot hear you (Ctrl+M)</source>
        <translation>对方听不到您的声音（Ctrl+M）</translation>
    </message>
    <message>
        <source>Microphone on</source>
        <translation>麦克风已开</translation>
    </message>
    <message>
        <source>Click to mute your microphone (Ctrl+M)</source>
        <translation>点击将麦克风静音（Ctrl+M）</translation>
    </message>
    <message>
        <source>{w}×{h} · {fps:.0f} fps</source>
        <translation>{w}×{h} · {fps:.0f} 帧/秒</translation>
    </message>
    <message>
        <source>Station — ultrasound-consult</source>
        <translation>扫查端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Done ✓  (Space)</source>
        <translation>已完成 ✓（空格）</translation>
    </message>
    <message>
        <source>Can&apos;t ✗  (Backspace)</source>
        <translation>做不到 ✗（退格）</translation>
    </message>
    <message>
        <source>The expert asks — answer when you have done it</source>
        <translation>专家的指示 — 完成后请回应</translation>
    </message>
    <message>
        <source>Expert — ultrasound-consult</source>
        <translation>专家端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Click to mark · drag to draw an arrow</source>
        <translation>单击标记 · 拖动画箭头</translation>
    </message>
    <message>
        <source>Watching (observers cannot draw)</source>
        <translation>观看中（观摩者不能标注）</translation>
    </message>
    <message>
        <source>Waiting for video…</source>
        <translation>正在等待视频…</translation>
    </message>
    <message>
        <source>Drag to draw freehand</source>
        <translation>拖动以手绘</translation>
    </message>
    <message>
        <source>Drag to circle a structure</source>
        <translation>拖动以圈出结构</translation>
    </message>
    <message>
        <source>Drag to draw a box</source>
        <translation>拖动以画方框</translation>
    </message>
    <message>
        <source>Click where the text goes</source>
        <translation>单击放置文字的位置</translation>
    </message>
    <message>
        <source>Drag from one edge to the other to measure</source>
        <translation>从一侧边缘拖到另一侧进行测量</translation>
    </message>
    <message>
        <source>Drag a box around the structure to measure its area</source>
        <translation>拖动方框框住结构以测量面积</translation>
    </message>
    <message>
        <source>Drag between two marks of the depth scale</source>
        <translation>在深度标尺的两个刻度之间拖动</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>Text to show on the image:</source>
        <translation>要显示在图像上的文字：</translation>
    </message>
    <message>
        <source>Calibrate</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Distance between the two marks, in millimetres:</source>
        <translation>两个刻度之间的距离（毫米）：</translation>
    </message>
    <message>
        <source>Frozen: draw on this frame, then Send frame (Enter)</source>
        <translation>已冻结：在此帧上绘制，然后发送画面（回车）</translation>
    </message>
    <message>
        <source>Station confirmed in {ms:.0f} ms</source>
        <translation>扫查端已确认（{ms:.0f} 毫秒）</translation>
    </message>
    <message>
        <source>Station refused: {reason}</source>
        <translation>扫查端拒绝：{reason}</translation>
    </message>
    <message>
        <source>Join a consult — ultrasound-consult</source>
        <translation>加入会诊 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Invite code</source>
        <translation>邀请码</translation>
    </message>
    <message>
        <source>Open a recording…</source>
        <translation>打开录像…</translation>
    </message>
    <message>
        <source>Replay and review a recorded session (QC)</source>
        <translation>回放并评审已录制的会诊（质控）</translation>
    </message>
    <message>
        <source>Open a recording</source>
        <translation>打开录像</translation>
    </message>
    <message>
        <source>Station (I am scanning)</source>
        <translation>扫查端（我在做超声检查）</translation>
    </message>
    <message>
        <source>Expert (I am guiding)</source>
        <translation>专家端（我在指导）</translation>
    </message>
    <message>
        <source>Trainer (I am teaching)</source>
        <translation>带教（我在教学）</translation>
    </message>
    <message>
        <source>Observer (I am watching)</source>
        <translation>观摩（我只观看）</translation>
    </message>
    <message>
        <source>Enter the invite code you were given, exactly as given.</source>
        <translation>请准确输入您收到的邀请码。</translation>
    </message>
    <message>
        <source>Video source</source>
        <translation>视频来源</translation>
    </message>
    <message>
        <source>invite code or link, e.g. clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</source>
        <translation>邀请码或链接，例如 clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>My name</source>
        <translation>我的名字</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>加入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Connecting to the server…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <source>Waiting for an expert to join room {room}</source>
        <translation>等待专家加入房间 {room}</translation>
    </message>
    <message>
        <source>Waiting for the station to join room {room}</source>
        <translation>等待扫查端加入房间 {room}</translation>
    </message>
    <message>
        <source>Connecting video…</source>
        <translation>正在连接视频…</translation>
    </message>
    <message>
        <source>Connected to {name}</source>
        <translation>已连接：{name}</translation>
    </message>
    <message>
        <source>the other side</source>
        <translation>对方</translation>
    </message>
    <message>
        <source>Call ended</source>
        <translation>会诊已结束</translation>
    </message>
    <message>
        <source>The call could not start</source>
        <translation>会诊无法开始</translation>
    </message>
    <message>
        <source>Cannot reach the server. Check the address and the network.</source>
        <translation>无法连接服务器。请检查地址和网络。</translation>
    </message>
    <message>
        <source>The server address is not valid.</source>
        <translation>服务器地址无效。</translation>
    </message>
    <message>
        <source>The server did not accept the call.</source>
        <translation>服务器未接受本次会诊。</translation>
    </message>
    <message>
        <source>This room is full. Use another room code.</source>
        <translation>该房间已满。请使用其他房间号。</translation>
    </message>
    <message>
        <source>This app and the server are different versions. Update the app.</source>
        <translation>本软件与服务器版本不一致。请更新软件。</translation>
    </message>
    <message>
        <source>The video source cannot be opened.</source>
        <translation>无法打开视频来源。</translation>
    </message>
    <message>
        <source>The video source stopped. Check the cable, or choose another source.</source>
        <translation>视频来源已中断。请检查连接线，或选择其他来源。</translation>
    </message>
    <message>
        <source>Lost the connection to the server. The video continues.</source>
        <translation>与服务器的连接已断开。视频仍在继续。</translation>
    </message>
    <message>
        <source>The video connection failed. The network may block it.</source>
        <translation>视频连接失败。网络可能阻止了连接。</translation>
    </message>
    <message>
        <source>That cannot be done right now.</source>
        <translation>目前无法执行此操作。</translation>
    </message>
    <message>
        <source>The second camera cannot be opened. The ultrasound goes on.</source>
        <translation>无法打开第二摄像头。超声图像不受影响。</translation>
    </message>
    <message>
        <source>The second camera stopped. The ultrasound goes on.</source>
        <translation>第二摄像头已停止。超声图像不受影响。</translation>
    </message>
    <message>
        <source>No microphone: the others will not hear you.</source>
        <translation>没有麦克风：对方将听不到您的声音。</translation>
    </message>
    <message>
        <source>No speaker: you will not hear the others.</source>
        <translation>没有扬声器：您将听不到对方的声音。</translation>
    </message>
    <message>
        <source>Recording stopped: the disk is full. The call goes on.</source>
        <translation>录制已停止：磁盘已满。会诊继续进行。</translation>
    </message>
    <message>
        <source>Recording stopped. The call goes on.</source>
        <translation>录制已停止。会诊继续进行。</translation>
    </message>
    <message>
        <source>Something went wrong.</source>
        <translation>出现错误。</translation>
    </message>
    <message>
        <source>Connection good</source>
        <translation>连接良好</translation>
    </message>
    <message>
        <source>Connection fair</source>
        <translation>连接一般</translation>
    </message>
    <message>
        <source>Connection poor</source>
        <translation>连接较差</translation>
    </message>
    <message>
        <source>Probe guidance</source>
        <extracomment>action, direction (or None), angle (or None), probe (or None), marker degrees</extracomment>
        <translation>探头指导</translation>
    </message>
    <message>
        <source>Angle</source>
        <translation>角度</translation>
    </message>
    <message>
        <source>Send cue</source>
        <translation>发送指示</translation>
    </message>
    <message>
        <source>Ask for</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Withdraw cue</source>
        <translation>撤回指示</translation>
    </message>
    <message>
        <source>Slide</source>
        <translation>滑动</translation>
    </message>
    <message>
        <source>Sweep</source>
        <translation>扫查</translation>
    </message>
    <message>
        <source>Rock</source>
        <translation>摇摆</translation>
    </message>
    <message>
        <source>Tilt / fan</source>
        <translation>倾斜 / 扇扫</translation>
    </message>
    <message>
        <source>Rotate</source>
        <translation>旋转</translation>
    </message>
    <message>
        <source>Pressure</source>
        <translation>加压</translation>
    </message>
    <message>
        <source>Hold still</source>
        <translation>保持不动</translation>
    </message>
    <message>
        <source>Depth +</source>
        <translation>深度 +</translation>
    </message>
    <message>
        <source>Depth −</source>
        <translation>深度 −</translation>
    </message>
    <message>
        <source>Gain +</source>
        <translation>增益 +</translation>
    </message>
    <message>
        <source>Gain −</source>
        <translation>增益 −</translation>
    </message>
    <message>
        <source>Colour Doppler</source>
        <translation>彩色多普勒</translation>
    </message>
    <message>
        <source>Power Doppler</source>
        <translation>能量多普勒</translation>
    </message>
    <message>
        <source>Freeze</source>
        <translation>冻结</translation>
    </message>
    <message>
        <source>Save clip</source>
        <translation>保存片段</translation>
    </message>
    <message>
        <source>Toward head</source>
        <translation>向头侧</translation>
    </message>
    <message>
        <source>Toward feet</source>
        <translation>向足侧</translation>
    </message>
    <message>
        <source>Patient&apos;s left</source>
        <translation>患者左侧</translation>
    </message>
    <message>
        <source>Patient&apos;s right</source>
        <translation>患者右侧</translation>
    </message>
    <message>
        <source>Toward marker</source>
        <translation>朝向标记</translation>
    </message>
    <message>
        <source>Away from marker</source>
        <translation>背离标记</translation>
    </message>
    <message>
        <source>Clockwise</source>
        <translation>顺时针</translation>
    </message>
    <message>
        <source>Counter-clockwise</source>
        <translation>逆时针</translation>
    </message>
    <message>
        <source>Press harder</source>
        <translation>加大压力</translation>
    </message>
    <message>
        <source>Ease off</source>
        <translation>减轻压力</translation>
    </message>
    <message>
        <source>Slide the probe toward the patient&apos;s head</source>
        <translation>向患者头侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe toward the patient&apos;s feet</source>
        <translation>向患者足侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe to the patient&apos;s left</source>
        <translation>向患者左侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe to the patient&apos;s right</source>
        <translation>向患者右侧滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe toward its marker</source>
        <translation>朝探头标记方向滑动探头</translation>
    </message>
    <message>
        <source>Slide the probe away from its marker</source>
        <translation>背离探头标记方向滑动探头</translation>
    </message>
    <message>
        <source>Sweep slowly toward the patient&apos;s head</source>
        <translation>向患者头侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly toward the patient&apos;s feet</source>
        <translation>向患者足侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly to the patient&apos;s left</source>
        <translation>向患者左侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly to the patient&apos;s right</source>
        <translation>向患者右侧缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly toward the probe&apos;s marker</source>
        <translation>朝探头标记方向缓慢扫查</translation>
    </message>
    <message>
        <source>Sweep slowly away from the marker</source>
        <translation>背离探头标记方向缓慢扫查</translation>
    </message>
    <message>
        <source>Rock the probe toward its marker</source>
        <translation>将探头朝标记方向摇摆</translation>
    </message>
    <message>
        <source>Rock the probe away from its marker</source>
        <translation>将探头背离标记方向摇摆</translation>
    </message>
    <message>
        <source>Tilt the probe toward the patient&apos;s head</source>
        <translation>将探头向患者头侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe toward the patient&apos;s feet</source>
        <translation>将探头向患者足侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe to the patient&apos;s left</source>
        <translation>将探头向患者左侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe to the patient&apos;s right</source>
        <translation>将探头向患者右侧倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe toward its marker</source>
        <translation>将探头朝标记方向倾斜</translation>
    </message>
    <message>
        <source>Tilt the probe away from its marker</source>
        <translation>将探头背离标记方向倾斜</translation>
    </message>
    <message>
        <source>Rotate the probe clockwise</source>
        <translation>顺时针旋转探头</translation>
    </message>
    <message>
        <source>Rotate the probe counter-clockwise</source>
        <translation>逆时针旋转探头</translation>
    </message>
    <message>
        <source>Press harder with the probe</source>
        <translation>探头加大压力</translation>
    </message>
    <message>
        <source>Ease the pressure on the probe</source>
        <translation>减轻探头压力</translation>
    </message>
    <message>
        <source>Hold the probe still</source>
        <translation>保持探头不动</translation>
    </message>
    <message>
        <source>Increase the depth</source>
        <translation>增加深度</translation>
    </message>
    <message>
        <source>Decrease the depth</source>
        <translation>减小深度</translation>
    </message>
    <message>
        <source>Increase the gain</source>
        <translation>增加增益</translation>
    </message>
    <message>
        <source>Decrease the gain</source>
        <translation>降低增益</translation>
    </message>
    <message>
        <source>Turn on colour Doppler</source>
        <translation>打开彩色多普勒</translation>
    </message>
    <message>
        <source>Turn on power Doppler</source>
        <translation>打开能量多普勒</translation>
    </message>
    <message>
        <source>Freeze the image</source>
        <translation>冻结图像</translation>
    </message>
    <message>
        <source>Save a clip</source>
        <translation>保存一段片段</translation>
    </message>
    <message>
        <source>({deg:.0f}°)</source>
        <translation>（{deg:.0f}°）</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <source>on the station&apos;s screen</source>
        <translation>已显示在扫查端</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>can&apos;t do it</source>
        <translation>做不到</translation>
    </message>
    <message>
        <source>withdrawn</source>
        <translation>已撤回</translation>
    </message>
    <message>
        <source>replaced by a newer cue</source>
        <translation>已被新指示取代</translation>
    </message>
    <message>
        <source>R</source>
        <extracomment>One animation cycle.</extracomment>
        <translation>右</translation>
    </message>
    <message>
        <source>L</source>
        <translation>左</translation>
    </message>
    <message>
        <source>from {name}</source>
        <translation>来自 {name}</translation>
    </message>
    <message>
        <source>the expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>Space: done   ·   Backspace: can&apos;t</source>
        <translation>空格：已完成   ·   退格：做不到</translation>
    </message>
    <message>
        <source>Click where the probe should be; turn the mouse wheel to turn its marker. Right-click to clear.</source>
        <translation>单击探头应放的位置；滚动鼠标滚轮转动探头标记。右键单击清除。</translation>
    </message>
    <message>
        <source>◀ Older</source>
        <translation>◀ 较早</translation>
    </message>
    <message>
        <source>Newer ▶</source>
        <translation>较新 ▶</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Frame sent by {name}</source>
        <translation>{name} 发送的画面</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>指示</translation>
    </message>
    <message>
        <source>Click to mark a spot, drag to draw an arrow</source>
        <translation>单击标记位置，拖动画箭头</translation>
    </message>
    <message>
        <source>Draw</source>
        <translation>手绘</translation>
    </message>
    <message>
        <source>Draw freehand</source>
        <translation>手绘</translation>
    </message>
    <message>
        <source>Ellipse</source>
        <translation>椭圆</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>方框</translation>
    </message>
    <message>
        <source>Click where the text goes, then type it</source>
        <translation>单击放置文字的位置，然后输入文字</translation>
    </message>
    <message>
        <source>Caliper</source>
        <translation>测距</translation>
    </message>
    <message>
        <source>Drag to measure a distance</source>
        <translation>拖动测量距离</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>面积</translation>
    </message>
    <message>
        <source>Drag a box around a structure to measure its ellipse area</source>
        <translation>拖动方框框住结构，测量其椭圆面积</translation>
    </message>
    <message>
        <source>Drag between two depth-scale marks, then type the distance</source>
        <translation>在深度标尺两个刻度之间拖动，然后输入距离</translation>
    </message>
    <message>
        <source>Colour {n}</source>
        <translation>颜色 {n}</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo your last change (Ctrl+Z)</source>
        <translation>撤销上一次修改（Ctrl+Z）</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Redo (Ctrl+Shift+Z)</source>
        <translation>重做（Ctrl+Shift+Z）</translation>
    </message>
    <message>
        <source>Clear mine</source>
        <translation>清除我的标记</translation>
    </message>
    <message>
        <source>Remove your marks (Delete)</source>
        <translation>删除您的标记（Delete）</translation>
    </message>
    <message>
        <source>Clear all</source>
        <translation>全部清除</translation>
    </message>
    <message>
        <source>Remove everyone&apos;s marks (Shift+Delete)</source>
        <translation>删除所有人的标记（Shift+Delete）</translation>
    </message>
    <message>
        <source>Hold this frame to draw on it, then send it (F)</source>
        <translation>冻结此帧以便在上面绘制，然后发送（F）</translation>
    </message>
    <message>
        <source>Send frame</source>
        <translation>发送画面</translation>
    </message>
    <message>
        <source>Send the frozen frame with its drawing to the station (Enter)</source>
        <translation>将冻结的画面连同绘制内容发送到扫查端（回车）</translation>
    </message>
    <message>
        <source>{who} drew a {kind}</source>
        <translation>{who} 绘制了 {kind}</translation>
    </message>
    <message>
        <source>{who} cleared annotations</source>
        <translation>{who} 清除了标注</translation>
    </message>
    <message>
        <source>Cue: {text}</source>
        <translation>指示：{text}</translation>
    </message>
    <message>
        <source>Cue</source>
        <translation>指示</translation>
    </message>
    <message>
        <source>mark</source>
        <extracomment>Event types on the timeline and in the list, with their lane and colour.</extracomment>
        <translation>标记</translation>
    </message>
    <message>
        <source>arrow</source>
        <translation>箭头</translation>
    </message>
    <message>
        <source>freehand line</source>
        <translation>手绘线</translation>
    </message>
    <message>
        <source>ellipse</source>
        <translation>椭圆</translation>
    </message>
    <message>
        <source>box</source>
        <translation>方框</translation>
    </message>
    <message>
        <source>text label</source>
        <translation>文字标注</translation>
    </message>
    <message>
        <source>distance measurement</source>
        <translation>距离测量</translation>
    </message>
    <message>
        <source>area measurement</source>
        <translation>面积测量</translation>
    </message>
    <message>
        <source>Cue: {status} {who}</source>
        <translation>指示：{status} {who}</translation>
    </message>
    <message>
        <source>Marker: {label} ({who})</source>
        <translation>标记点：{label}（{who}）</translation>
    </message>
    <message>
        <source>Snapshot from {who}</source>
        <translation>{who} 发送的画面</translation>
    </message>
    <message>
        <source>{who} joined</source>
        <translation>{who} 已加入</translation>
    </message>
    <message>
        <source>{who} left</source>
        <translation>{who} 已离开</translation>
    </message>
    <message>
        <source>Problem: {message}</source>
        <translation>问题：{message}</translation>
    </message>
    <message>
        <source>Replay — {room} ({who})</source>
        <translation>回放 — {room}（{who}）</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>质控评审</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Previous frame (Left arrow)</source>
        <translation>上一帧（左方向键）</translation>
    </message>
    <message>
        <source>Next frame (Right arrow)</source>
        <translation>下一帧（右方向键）</translation>
    </message>
    <message>
        <source>Set A</source>
        <translation>设 A 点</translation>
    </message>
    <message>
        <source>A/B loop: set the start, then the end; again to clear</source>
        <translation>A/B 循环：先设起点，再设终点；再按一次清除</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>Part of this recording could not be read; what is readable is shown.</source>
        <translation>此录像有部分内容无法读取；下面显示可读取的部分。</translation>
    </message>
    <message>
        <source>frame {n}</source>
        <translation>第 {n} 帧</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Set B</source>
        <translation>设 B 点</translation>
    </message>
    <message>
        <source>Clear loop</source>
        <translation>取消循环</translation>
    </message>
    <message>
        <source>This frame as PNG…</source>
        <translation>当前帧存为 PNG…</translation>
    </message>
    <message>
        <source>Clip as MP4 (annotations burned in)…</source>
        <translation>片段存为 MP4（含标注）…</translation>
    </message>
    <message>
        <source>Cues and comments as WebVTT…</source>
        <translation>指示和评语存为 WebVTT 字幕…</translation>
    </message>
    <message>
        <source>DICOM…</source>
        <translation>DICOM…</translation>
    </message>
    <message>
        <source>Review report (HTML)…</source>
        <translation>评审报告（HTML）…</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Saved {what}: {path}</source>
        <translation>已保存 {what}：{path}</translation>
    </message>
    <message>
        <source>Save frame</source>
        <translation>保存画面</translation>
    </message>
    <message>
        <source>Save captions</source>
        <translation>保存字幕</translation>
    </message>
    <message>
        <source>Save DICOM</source>
        <translation>保存 DICOM</translation>
    </message>
    <message>
        <source>Save report</source>
        <translation>保存报告</translation>
    </message>
    <message>
        <source>Cannot open the recording</source>
        <translation>无法打开录像</translation>
    </message>
    <message>
        <source>{folder} cannot be replayed: {reason}</source>
        <translation>{folder} 无法回放：{reason}</translation>
    </message>
    <message>
        <source>Agree</source>
        <translation>同意</translation>
    </message>
    <message>
        <source>Minor disagreement</source>
        <translation>轻微不同意见</translation>
    </message>
    <message>
        <source>Major disagreement</source>
        <translation>重大不同意见</translation>
    </message>
    <message>
        <source>Not assessed</source>
        <translation>未评估</translation>
    </message>
    <message>
        <source>Free list</source>
        <translation>自定义列表</translation>
    </message>
    <message>
        <source>Review:</source>
        <extracomment>A comment&apos;s moment was clicked: seek there (seconds into the recording).</extracomment>
        <translation>评审：</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>您的姓名</translation>
    </message>
    <message>
        <source>Reviewer</source>
        <translation>评审人</translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation>检查方案</translation>
    </message>
    <message>
        <source>Not scored</source>
        <translation>未评分</translation>
    </message>
    <message>
        <source>Overall quality (ACEP 1-5)</source>
        <translation>总体图像质量（ACEP 1-5）</translation>
    </message>
    <message>
        <source>View</source>
        <translation>切面</translation>
    </message>
    <message>
        <source>Obtained</source>
        <translation>已获取</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>Add a view (e.g. Gallbladder long axis)</source>
        <translation>添加切面（例如：胆囊长轴）</translation>
    </message>
    <message>
        <source>Add view</source>
        <translation>添加切面</translation>
    </message>
    <message>
        <source>Indication stated</source>
        <translation>已说明检查指征</translation>
    </message>
    <message>
        <source>Images labelled</source>
        <translation>图像已标注</translation>
    </message>
    <message>
        <source>Conclusion written</source>
        <translation>已写结论</translation>
    </message>
    <message>
        <source>Agreement with the interpretation</source>
        <translation>对诊断解读的意见</translation>
    </message>
    <message>
        <source>Comments (double-click one to go to its moment)</source>
        <translation>评语（双击跳到对应时刻）</translation>
    </message>
    <message>
        <source>A comment at the moment on screen</source>
        <translation>针对当前画面时刻的评语</translation>
    </message>
    <message>
        <source>Pin comment</source>
        <translation>添加评语</translation>
    </message>
    <message>
        <source>Summary and teaching points</source>
        <translation>总结与教学要点</translation>
    </message>
    <message>
        <source>Save review</source>
        <translation>保存评审</translation>
    </message>
    <message>
        <source>New review</source>
        <translation>新建评审</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>未保存：{reason}</translation>
    </message>
    <message>
        <source>Not saved: cannot write to {folder} ({reason}).</source>
        <translation>未保存：无法写入 {folder}（{reason}）。</translation>
    </message>
    <message>
        <source>Saved as {name}.</source>
        <translation>已保存为 {name}。</translation>
    </message>
</context>
</TS>
